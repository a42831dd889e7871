/**
 * Part 3, realistic shapes: seconds per avatar at 512 on SD-Turbo-shaped random-weight models
 * (fixture builder's full size), full VAE against TAESD, fp32 against int8, each configuration
 * in a child process so its peak memory is its own; and the whole run's unavoidable compute.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { fullSizeModel } from '../fixtures/full-size.ts';
import type { Row } from './report.ts';
import type { ShapeConfig, ShapeResult } from './shapes-child.ts';
import { single, type Summary } from './stats.ts';

const CHILD = fileURLToPath(new URL('./shapes-child.ts', import.meta.url));
const run = promisify(execFile);

/** The run the issue sizes: 30 avatars of 5 styles from 3 photos. */
const RUN = { avatars: 30, styles: 5, photos: 3 };

export interface ShapesOptions {
  scale: number;
  size: number;
  reps: number;
  progress: (message: string) => void;
}

export interface ShapesResult {
  scale: number;
  configs: ShapeResult[];
}

export async function measureShapes(options: ShapesOptions): Promise<ShapesResult> {
  const { scale, size, progress } = options;
  // Three avatars per configuration already take minutes with the fp32 full VAE.
  const reps = Math.min(options.reps, 3);
  const fp32 = await fullSizeModel({ scale });
  const int8 = await fullSizeModel({ scale, quantized: true });
  const configs: ShapeConfig[] = [
    { label: 'fp32 UNet + full VAE', dir: fp32, autoencoder: 'full', size, reps },
    { label: 'fp32 UNet + TAESD', dir: fp32, autoencoder: 'tiny', size, reps },
    { label: 'int8 UNet + full VAE', dir: int8, autoencoder: 'full', size, reps },
    { label: 'int8 UNet + TAESD', dir: int8, autoencoder: 'tiny', size, reps },
    {
      label: 'int8 UNet + TAESD, 1 thread (onnxruntime left to itself here)',
      dir: int8,
      autoencoder: 'tiny',
      threads: 1,
      size,
      reps,
    },
  ];
  const results: ShapeResult[] = [];
  for (const config of configs) {
    progress(`  ${config.label}`);
    results.push(await measureShape(config));
  }
  return { scale, configs: results };
}

/** One configuration in a child process of its own (shapes-child.ts), so its peak memory is its own. */
export async function measureShape(config: ShapeConfig): Promise<ShapeResult> {
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', CHILD, JSON.stringify(config)],
    {
      maxBuffer: 1 << 24,
    },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as ShapeResult;
}

/** The compute a whole run cannot avoid: text encodes per style, image encodes per photo, and per avatar a UNet call set and a decode. */
export function runCompute(r: ShapeResult, perAvatar: Summary): number {
  return (
    RUN.styles * r.bare.text_encoder.median +
    RUN.photos * r.bare.image_encoder.median +
    RUN.avatars * perAvatar.median
  );
}

export function shapesRows(s: ShapesResult): Row[] {
  const part = `3 shapes${s.scale === 1 ? '' : ` x${s.scale}`}`;
  const rows: Row[] = [];
  for (const r of s.configs) {
    const what = `${r.label}, ${r.size}px`;
    rows.push(
      { part, what: `${what}: load`, summary: single(r.loadMs, 1), unit: 's' },
      {
        part,
        what: `${what}: per avatar (engine)`,
        summary: r.avatar,
        unit: 's',
        ratio: r.avatar.median / r.bareAvatar.median,
        note: `${r.unetCalls} UNet call; vs bare UNet + decode ${(r.bareAvatar.median / 1000).toFixed(2)} s`,
      },
      { part, what: '  UNet call', summary: r.bare.unet, unit: 's' },
      { part, what: '  decode', summary: r.bare.decoder, unit: 's' },
      { part, what: '  encode (per photo)', summary: r.bare.image_encoder, unit: 's' },
      { part, what: '  text encode (per style)', summary: r.bare.text_encoder, unit: 's' },
      {
        part,
        what: `  30 avatars, 3 photos, 5 styles`,
        summary: single(runCompute(r, r.bareAvatar), r.avatar.n),
        unit: 's',
        ratio: runCompute(r, r.avatar) / runCompute(r, r.bareAvatar),
        note: 'unavoidable compute (bare medians); ratio: engine per-avatar figure instead',
      },
      {
        part,
        what: '  peak RSS',
        summary: single(r.peakRssBytes, 1),
        unit: 'GB',
        note: 'VmHWM of its own process',
      },
    );
  }
  return rows;
}
