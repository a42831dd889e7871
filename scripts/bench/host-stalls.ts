/**
 * Part 8, the host's thread during a run: the app's own job (runAvatars, as part 5) on the tiny
 * turbo fixture, which the e2e suite drives, with the face detector and the NSFW classifier in
 * the thread that answers the page (as before the vision thread) against in the vision thread.
 * The figures are that thread's event-loop delays (how long a request would wait to be read)
 * and the run's wall time; the fixture's UNet is tiny, so tfjs's share is as large as it gets.
 * Runs alternate so drift hits both alike; each run gets a store of its own (one run a day).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadFaceDetector } from '../../main/intake/faces.ts';
import { photo } from '../../main/testing/photos.ts';
import { loadJobResources, type JobResources } from '../../main/jobs/resources.ts';
import { runAvatars } from '../../main/jobs/run-avatars.ts';
import { loadModerator } from '../../main/moderation/classifier.ts';
import { openStore } from '../../main/store/index.ts';
import { fixtureModel } from '../fixtures/cache.ts';
import { RUN_PHOTOS, RUN_STYLES } from './avatar-run.ts';
import type { Row } from './report.ts';
import { summarize, type Summary } from './stats.ts';

export interface HostStallsOptions {
  size: number;
  reps: number;
  progress: (message: string) => void;
}

interface Variant {
  /** Longest and 99th-percentile event-loop delay of each run, in ms. */
  maxDelay: Summary;
  p99Delay: Summary;
  total: Summary;
}

export interface HostStallsResult {
  size: number;
  inThread: Variant;
  visionThread: Variant;
  /** Median over repetitions of each vision-thread run's figure against the run beside it. */
  maxDelayRatio: number;
  p99DelayRatio: number;
  totalRatio: number;
}

export async function measureHostStalls(options: HostStallsOptions): Promise<HostStallsResult> {
  const { size, progress } = options;
  const reps = Math.min(options.reps, 5);
  const root = await mkdtemp(join(tmpdir(), 'bench-host-stalls-'));
  const photos = RUN_PHOTOS.map(photo);
  let store = 0;
  const threaded = await loadJobResources({
    modelDir: await fixtureModel('turbo'),
    provider: 'cpu',
    store: openStore({ dataDir: join(root, `store-${store++}`) }),
  });
  // The same engine and styles; only where tfjs computes differs.
  const [faces, moderator] = await Promise.all([loadFaceDetector(), loadModerator()]);
  const inThread: JobResources = { ...threaded, faces, moderator };
  const figures = { inThread: [] as Figures[], visionThread: [] as Figures[] };
  try {
    // Repetition 0 warms both (tfjs compiles its kernels at the first call): not counted.
    for (let rep = 0; rep <= reps; rep++) {
      for (const [name, resources] of [
        ['inThread', inThread],
        ['visionThread', threaded],
      ] as const) {
        progress(`  ${rep === 0 ? 'warm-up' : `repetition ${rep} of ${reps}`}: ${name}`);
        const runStore = openStore({ dataDir: join(root, `store-${store++}`) });
        const delays = monitorEventLoopDelay({ resolution: 5 });
        delays.enable();
        const result = await runAvatars(
          { ...resources, store: runStore },
          { photos, styleIds: RUN_STYLES, count: 30, seed: rep, size, source: 'cli' },
        );
        delays.disable();
        runStore.close();
        if (rep > 0) {
          figures[name].push({
            maxDelay: delays.max / 1e6,
            p99Delay: delays.percentile(99) / 1e6,
            total: result.timings.totalMs,
          });
        }
      }
    }
  } finally {
    await threaded.engine.close();
    threaded.store.close();
    await rm(root, { recursive: true, force: true });
  }
  const variant = (runs: Figures[]): Variant => ({
    maxDelay: summarize(runs.map((r) => r.maxDelay)),
    p99Delay: summarize(runs.map((r) => r.p99Delay)),
    total: summarize(runs.map((r) => r.total)),
  });
  const ratio = (figure: keyof Figures): number =>
    summarize(figures.visionThread.map((run, i) => run[figure] / figures.inThread[i]![figure]))
      .median;
  return {
    size,
    inThread: variant(figures.inThread),
    visionThread: variant(figures.visionThread),
    maxDelayRatio: ratio('maxDelay'),
    p99DelayRatio: ratio('p99Delay'),
    totalRatio: ratio('total'),
  };
}

interface Figures {
  maxDelay: number;
  p99Delay: number;
  total: number;
}

export function hostStallsRows(result: HostStallsResult): Row[] {
  const label = `30 avatars, 5 styles, tiny turbo fixture, ${result.size}px`;
  const part = '8 host';
  return [
    {
      part,
      what: `longest wait of the host's thread, tfjs on it (${label})`,
      summary: result.inThread.maxDelay,
      unit: 'ms',
    },
    {
      part,
      what: 'the same, tfjs in the vision thread',
      summary: result.visionThread.maxDelay,
      unit: 'ms',
      ratio: result.maxDelayRatio,
    },
    {
      part,
      what: "99th-percentile wait of the host's thread, tfjs on it",
      summary: result.inThread.p99Delay,
      unit: 'ms',
    },
    {
      part,
      what: 'the same, tfjs in the vision thread',
      summary: result.visionThread.p99Delay,
      unit: 'ms',
      ratio: result.p99DelayRatio,
    },
    { part, what: 'whole run, tfjs on the host thread', summary: result.inThread.total, unit: 's' },
    {
      part,
      what: 'whole run, tfjs in the vision thread',
      summary: result.visionThread.total,
      unit: 's',
      ratio: result.totalRatio,
    },
  ];
}
