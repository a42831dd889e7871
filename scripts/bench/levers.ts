/**
 * Part 11, the two levers of the catalogue's turbo settings and the sessions' memory, each against
 * a baseline of the same run, on the SD-Turbo-shaped int8 model with TAESD:
 * - UNet calls per style as the catalogue runs them on each family (the scheduler's own count);
 * - one oil-painting avatar as shipped (one call at t = 666) against the schedule the catalogue
 *   had before (3 steps at strength 0.67: calls at 666 and 332), which starts at the same noise;
 * - the same avatar with onnxruntime's CPU arena on (its default) against off (the app's).
 * Each avatar configuration runs in a child process of its own, so its peak memory is its own.
 */
import { readFile } from 'node:fs/promises';
import { scheduledFor } from '../../main/engine/pipeline.ts';
import type { ModelFamily } from '../../main/engine/types.ts';
import { loadStyleCatalog } from '../../main/styles/catalog.ts';
import { MODEL_FAMILIES } from '../../main/styles/types.ts';
import { fullSizeModel } from '../fixtures/full-size.ts';
import type { Row } from './report.ts';
import type { ShapeConfig, ShapeResult } from './shapes-child.ts';
import { measureShape } from './shapes.ts';
import { single } from './stats.ts';

export interface LeversOptions {
  size: number;
  reps: number;
  progress: (message: string) => void;
}

export interface LeversResult {
  /** UNet calls (batches) per avatar of each style on each family. */
  calls: { style: string; calls: Record<ModelFamily, number> }[];
  shipped: ShapeResult;
  before: ShapeResult;
  arena: ShapeResult;
}

const STYLE = 'oil-painting';

export async function measureLevers(options: LeversOptions): Promise<LeversResult> {
  const { size, progress } = options;
  const reps = Math.min(options.reps, 5);
  const calls = await callsPerStyle();
  const dir = await fullSizeModel({ scale: 1, quantized: true });
  const base: ShapeConfig = { label: '', dir, autoencoder: 'tiny', style: STYLE, size, reps };
  const configs = {
    shipped: { ...base, label: `${STYLE} as shipped: timesteps [666], arena off` },
    before: {
      ...base,
      label: `${STYLE} as before: 3 steps at strength 0.67, arena off`,
      schedule: { strength: 0.67, steps: 3 },
    },
    arena: { ...base, label: `${STYLE} as shipped, CPU arena on`, memoryArena: true },
  };
  const results: Partial<Record<keyof typeof configs, ShapeResult>> = {};
  for (const [key, config] of Object.entries(configs) as [keyof typeof configs, ShapeConfig][]) {
    progress(`  ${config.label}`);
    results[key] = await measureShape(config);
  }
  return { calls, shipped: results.shipped!, before: results.before!, arena: results.arena! };
}

async function callsPerStyle(): Promise<LeversResult['calls']> {
  const configs = Object.fromEntries(
    await Promise.all(
      MODEL_FAMILIES.map(async (family) => {
        const file = new URL(`../../models/schedulers/${family}.json`, import.meta.url);
        return [family, JSON.parse(await readFile(file, 'utf8')) as unknown] as const;
      }),
    ),
  ) as Record<ModelFamily, unknown>;
  const { styles } = await loadStyleCatalog();
  return styles.map((style) => ({
    style: style.id,
    calls: Object.fromEntries(
      MODEL_FAMILIES.map((family) => [
        family,
        scheduledFor(style.settings[family], configs[family]).timesteps.length,
      ]),
    ) as Record<ModelFamily, number>,
  }));
}

export function leversRows(r: LeversResult): Row[] {
  const part = '11 levers';
  const avatar = (what: string, result: ShapeResult, against?: ShapeResult): Row => ({
    part,
    what: `${what}, ${result.size}px: per avatar (engine)`,
    summary: result.avatar,
    unit: 's',
    ...(against && { ratio: result.avatar.median / against.avatar.median }),
    note: `${result.unetCalls} UNet call${result.unetCalls === 1 ? '' : 's'}${against ? '' : ' (baseline)'}`,
  });
  const memory = (result: ShapeResult, against?: ShapeResult): Row => ({
    part,
    what: '  peak RSS',
    summary: single(result.peakRssBytes),
    unit: 'GB',
    ...(against && { ratio: result.peakRssBytes / against.peakRssBytes }),
    note: 'VmHWM of its own process',
  });
  return [
    ...r.calls.map(({ style, calls }) => ({
      part,
      what: `${style}: UNet calls per avatar on turbo`,
      summary: single(calls.turbo),
      unit: 'calls' as const,
      note: `sd15 ${calls.sd15} (batch 2 under guidance), lcm ${calls.lcm}`,
    })),
    avatar(r.before.label, r.before),
    memory(r.before),
    avatar(r.shipped.label, r.shipped, r.before),
    memory(r.shipped, r.before),
    avatar(r.arena.label, r.arena, r.shipped),
    memory(r.arena, r.shipped),
  ];
}
