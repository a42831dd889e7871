/**
 * Part 6, models from their weights (issue 13): an SD-1.5-shaped single-file checkpoint of random
 * fp16 weights, the size users download, built by the product's importer to fp32 and to int8 —
 * seconds, peak memory, disk — and a UNet call of each build against the same call on the fixture
 * UNet of the same shape (the same builder over random weights instead of the file's). Every
 * build and every UNet call runs in a child process of its own, so its peak memory is its own.
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseUnetConfig } from '../../main/graphs/unet-config.ts';
import { buildUnet } from '../../main/graphs/unet.ts';
import { externalDataFile } from '../../main/graphs/external-data-file.ts';
import type { BuildPrecision } from '../../main/models/from-weights/build-folder.ts';
import { cachedBuild } from '../fixtures/cache.ts';
import { SD15_CONFIGS } from '../fixtures/configs.ts';
import { sd15Checkpoint } from '../fixtures/full-checkpoint.ts';
import { BENCH_MODEL_DIR } from '../fixtures/full-size.ts';
import { randomWeights } from '../fixtures/random-weights.ts';
import { DEFAULT_SEED } from '../fixtures/variants.ts';
import type { GraphBuilder, ExternalData } from '../../main/graphs/onnx-graph.ts';
import type { BuildResult, FromWeightsTask, UnetCallResult } from './from-weights-child.ts';
import type { Row } from './report.ts';
import { single } from './stats.ts';

const CHILD = fileURLToPath(new URL('./from-weights-child.ts', import.meta.url));
const run = promisify(execFile);

export interface FromWeightsOptions {
  reps: number;
  progress: (message: string) => void;
}

export interface BuiltFromCheckpoint extends BuildResult {
  precision: BuildPrecision;
  diskBytes: number;
}

export interface UnetCall extends UnetCallResult {
  label: string;
}

export interface FromWeightsResult {
  checkpointBytes: number;
  builds: BuiltFromCheckpoint[];
  /** [0]: the fixture every other call is compared with. */
  unet: UnetCall[];
}

async function child<T>(task: FromWeightsTask): Promise<T> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(task)], {
    maxBuffer: 1 << 24,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as T;
}

/** Bytes of every file under `dir`. */
async function diskBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return total;
}

/** A folder holding only unet/model.onnx (+ its external data), built on first use. */
function unetFolder(
  name: string,
  build: (external: ExternalData) => GraphBuilder,
): Promise<string> {
  return cachedBuild(join(BENCH_MODEL_DIR, name), name, async (dir) => {
    const folder = join(dir, 'unet');
    await mkdir(folder, { recursive: true });
    const external = externalDataFile(folder, 'model.onnx_data');
    try {
      await writeFile(join(folder, 'model.onnx'), build(external).encode());
    } finally {
      external.close();
    }
  });
}

export async function measureFromWeights(options: FromWeightsOptions): Promise<FromWeightsResult> {
  // A UNet call is seconds, a build minutes: builds run once, calls `reps` times.
  const { progress, reps } = options;
  const built = (precision: BuildPrecision) =>
    join(BENCH_MODEL_DIR, `sd15-from-checkpoint-${precision}`);
  progress('  the SD-1.5-shaped random checkpoint (written on first use)');
  const checkpoint = await sd15Checkpoint();
  const builds: BuiltFromCheckpoint[] = [];
  for (const precision of ['fp32', 'int8'] as const) {
    progress(`  buildFromCheckpoint to ${precision}`);
    const out = built(precision);
    await rm(out, { recursive: true, force: true });
    const result = await child<BuildResult>({ kind: 'build', checkpoint, out, precision });
    builds.push({ ...result, precision, diskBytes: await diskBytes(out) });
  }

  progress('  the SD-1.5-shaped fixture UNet (built on first use)');
  // The fixture of the same shape: the same builder over random weights instead of the file's.
  const fixture = await unetFolder('sd15-full-unet', (external) =>
    buildUnet(parseUnetConfig(SD15_CONFIGS.unet), randomWeights(DEFAULT_SEED), { external }),
  );
  const unets = [
    { label: 'SD-1.5-shaped fixture (buildUnet over random weights), fp32', dir: fixture },
    { label: 'SD-1.5 from the checkpoint, fp32', dir: built('fp32') },
    { label: 'SD-1.5 from the checkpoint, int8', dir: built('int8') },
  ];
  const unet: UnetCall[] = [];
  for (const { label, dir } of unets) {
    progress(`  UNet call: ${label}`);
    unet.push({ label, ...(await child<UnetCallResult>({ kind: 'unet', dir, reps })) });
  }
  return { checkpointBytes: (await stat(checkpoint)).size, builds, unet };
}

export function fromWeightsRows(r: FromWeightsResult): Row[] {
  const part = '6 from weights';
  const rows: Row[] = [
    {
      part,
      what: 'SD-1.5-shaped checkpoint, random fp16, LDM keys (1.07 B parameters)',
      summary: single(r.checkpointBytes),
      unit: 'GB',
      note: 'on disk',
    },
  ];
  const fp32 = r.builds.find((b) => b.precision === 'fp32')!;
  for (const b of r.builds) {
    rows.push(
      {
        part,
        what: `buildFromCheckpoint to ${b.precision}`,
        summary: single(b.ms),
        unit: 's',
        ...(b === fp32 ? {} : { ratio: b.ms / fp32.ms, note: 'vs fp32' }),
      },
      {
        part,
        what: '  peak RSS',
        summary: single(b.peakRssBytes),
        unit: 'GB',
        note: 'maxRSS of its own process',
      },
      {
        part,
        what: '  disk (output folder)',
        summary: single(b.diskBytes),
        unit: 'GB',
        ratio: b.diskBytes / r.checkpointBytes,
        note: 'vs the checkpoint',
      },
    );
  }
  const [fixture] = r.unet;
  const sd15fp32 = r.unet.find((u) => u.label.endsWith('checkpoint, fp32'));
  for (const u of r.unet) {
    const against =
      u === fixture
        ? undefined
        : u.label.endsWith('int8') && sd15fp32
          ? { base: sd15fp32, note: 'vs the checkpoint fp32' }
          : { base: fixture!, note: 'vs the fixture: same shape' };
    rows.push({
      part,
      what: `UNet call (batch 1, 512 px, ${u.threads} threads): ${u.label}`,
      summary: u.call,
      unit: 's',
      ...(against ? { ratio: u.call.median / against.base.call.median, note: against.note } : {}),
    });
    rows.push({
      part,
      what: '  load, peak RSS',
      summary: single(u.loadMs),
      unit: 's',
      note: `peak RSS ${(u.peakRssBytes / 1e9).toFixed(2)} GB`,
    });
  }
  return rows;
}
