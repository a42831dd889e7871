/**
 * Part 10, how a run's cost grows: the app's own job (runAvatars, as part 5) on the default model
 * (SD-Turbo-shaped int8 with TAESD), one factor moved at a time from the run the issue sizes (3
 * photos, 5 styles, 30 avatars, 512 px): photos 3 → 10, styles 5 → 1, avatars 30 → 6, size 512 →
 * 384 and 768. Each configuration's time is a ratio against the base run, measured twice in the
 * same process, and the process's peak memory (VmHWM) is read after each, largest size last.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { photo } from '../../main/testing/photos.ts';
import { loadJobResources } from '../../main/jobs/resources.ts';
import { runAvatars } from '../../main/jobs/run-avatars.ts';
import { openStore } from '../../main/store/index.ts';
import { fullSizeModel } from '../fixtures/full-size.ts';
import { RUN_PHOTOS, RUN_STYLES } from './avatar-run.ts';
import { peakRss } from './machine.ts';
import type { Row } from './report.ts';
import { summarize, type Summary } from './stats.ts';

export interface GrowthOptions {
  reps: number;
  progress: (message: string) => void;
}

interface Config {
  label: string;
  photos: string[];
  styles: string[];
  count: number;
  size: number;
}

export interface GrowthRun {
  label: string;
  total: Summary;
  unetCalls: number;
  /** The process's VmHWM after this configuration's runs. */
  peakRssBytes: number;
  ratio: number;
}

const BASE: Config = {
  label: '3 photos, 5 styles, 30 avatars, 512 px',
  photos: RUN_PHOTOS,
  styles: RUN_STYLES,
  count: 30,
  size: 512,
};

/** Ten portraits, the base run's three first (other sitters only add intake's advice). */
const TEN_PHOTOS = [
  ...RUN_PHOTOS,
  ...['1-face2', '1-face3', '2-face1', '2-face3', '3-face2', '3-face3', '4-face1'].map(
    (name) => `portraits/sample${name}.jpg`,
  ),
];

/**
 * The base run comes first and again before the largest: the first run of a process pays its
 * warm-up and a shared machine drifts over the half hour, so ratios are against both runs' mean.
 */
const BASE_AGAIN: Config = { ...BASE, label: `${BASE.label}, again` };
const CONFIGS: Config[] = [
  BASE,
  { ...BASE, label: '10 photos', photos: TEN_PHOTOS },
  { ...BASE, label: '1 style', styles: RUN_STYLES.slice(0, 1) },
  { ...BASE, label: '6 avatars', count: 6 },
  { ...BASE, label: '384 px', size: 384 },
  BASE_AGAIN,
  { ...BASE, label: '768 px', size: 768 },
];

export async function measureGrowth(options: GrowthOptions): Promise<GrowthRun[]> {
  const { progress } = options;
  // Six whole runs at full size take a quarter of an hour on 2 cores: one each unless asked.
  const reps = Math.min(options.reps, 2);
  const dir = await fullSizeModel({ quantized: true });
  const root = await mkdtemp(join(tmpdir(), 'bench-growth-'));
  let runIndex = 0;
  // One run a day: each run gets a store of its own.
  const store = () => openStore({ dataDir: join(root, `run-${runIndex++}`) });
  const resources = await loadJobResources({ modelDir: dir, provider: 'cpu', store: store() });
  const measured: Omit<GrowthRun, 'ratio'>[] = [];
  try {
    for (const config of CONFIGS) {
      progress(`  ${config.label}`);
      const times: number[] = [];
      let unetCalls = 0;
      for (let rep = 0; rep < reps; rep++) {
        const runStore = measured.length === 0 && rep === 0 ? resources.store : store();
        const before = await resources.engine.stats();
        const result = await runAvatars(
          { ...resources, store: runStore },
          {
            photos: config.photos.map(photo),
            styleIds: config.styles,
            count: config.count,
            seed: 100 * rep,
            size: config.size,
            source: 'cli',
          },
        );
        unetCalls = (await resources.engine.stats()).unetCalls - before.unetCalls;
        runStore.close();
        times.push(result.timings.totalMs);
      }
      measured.push({
        label: config.label,
        total: summarize(times),
        unetCalls,
        peakRssBytes: peakRss(),
      });
    }
  } finally {
    await resources.engine.close();
    await rm(root, { recursive: true, force: true });
  }
  const bases = measured.filter((_, i) => CONFIGS[i] === BASE || CONFIGS[i] === BASE_AGAIN);
  const base = bases.reduce((sum, m) => sum + m.total.median, 0) / bases.length;
  return measured.map((m) => ({ ...m, ratio: m.total.median / base }));
}

export function growthRows(runs: GrowthRun[]): Row[] {
  const part = '10 growth';
  return runs.flatMap((run, i) => [
    {
      part,
      what: i === 0 ? `runAvatars, int8 + TAESD: ${run.label}` : `  ${run.label}`,
      summary: run.total,
      unit: 's' as const,
      ratio: run.ratio,
      note: `${run.unetCalls} UNet calls; vs the two base runs' mean`,
    },
    {
      part,
      what: '    peak RSS of the process so far',
      summary: summarize([run.peakRssBytes]),
      unit: 'GB' as const,
    },
  ]);
}
