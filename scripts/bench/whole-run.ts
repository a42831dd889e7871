/**
 * Part 5, the whole run against its limit: the app's own job (runAvatars: intake, the engine in
 * its worker thread, moderation, likeness, the encrypted store) making 30 avatars of 5 styles from
 * 3 photos on the SD-Turbo-shaped int8 model with TAESD, the CPU's default. Its limit is the
 * compute it cannot avoid: the session.run calls the engine counted during the run, each priced
 * at its bare median, measured in this process on the same model and thread count before the runs
 * and after them (a shared machine drifts by 10-15% over the minutes a run takes).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine, type EngineStats } from '../../main/engine/engine.ts';
import { photo } from '../../main/intake/test-photos.ts';
import { loadJobResources } from '../../main/jobs/resources.ts';
import { runAvatars } from '../../main/jobs/run-avatars.ts';
import { openStore } from '../../main/store/index.ts';
import { loadStyleCatalog, pickStyles, styleSettings } from '../../main/styles/catalog.ts';
import { fullSizeModel } from '../fixtures/full-size.ts';
import { photoTensors, RUN_PHOTOS, RUN_STYLES } from './avatar-run.ts';
import type { Row } from './report.ts';
import {
  COMPONENTS,
  countByComponent,
  recordSessionRuns,
  replay,
  replaySamples,
  type Component,
} from './session-calls.ts';
import { summarize, type Summary } from './stats.ts';

export interface WholeRunOptions {
  scale: number;
  size: number;
  reps: number;
  progress: (message: string) => void;
}

export interface WholeRunResult {
  scale: number;
  size: number;
  provider: string;
  autoencoder: string;
  total: Summary;
  intake: Summary;
  generate: Summary;
  /** The engine's own time in its worker, summed over the avatars kept. */
  engine: Summary;
  /** Avatars kept and regenerations after a moderation refusal, per repetition. */
  avatars: number[];
  blocked: number[];
  /** session.run calls per component in each run, as the engine counted them. */
  calls: Record<Component, number>[];
  /** Bare milliseconds of one call of each component. */
  perCall: Record<Component, Summary>;
  /** Each run's calls at the bare medians; the median over runs. */
  unavoidable: Summary;
  /** median(total) / median(unavoidable), and the same for the generation phase alone. */
  ratio: number;
  generateRatio: number;
}

const STAT_OF: Record<Component, keyof EngineStats> = {
  text_encoder: 'textEncoderCalls',
  image_encoder: 'imageEncoderCalls',
  unet: 'unetCalls',
  decoder: 'decoderCalls',
};

export async function measureWholeRun(options: WholeRunOptions): Promise<WholeRunResult> {
  const { scale, size, progress } = options;
  // A run takes minutes on 2 cores: three are enough for a median.
  const reps = Math.min(options.reps, 3);
  const dir = await fullSizeModel({ scale, quantized: true });
  const photos = RUN_PHOTOS.map(photo);
  const root = await mkdtemp(join(tmpdir(), 'bench-whole-run-'));
  const total: number[] = [];
  const intake: number[] = [];
  const generate: number[] = [];
  const engine: number[] = [];
  const avatars: number[] = [];
  const blocked: number[] = [];
  const calls: Record<Component, number>[] = [];
  let model: { provider: string; autoencoder: string } | undefined;
  progress('  bare session.run calls, before');
  const bareBefore = await bareSamples(dir, size);
  try {
    // One run a day: each repetition gets a store of its own.
    const store = (rep: number) => openStore({ dataDir: join(root, `run-${rep}`) });
    const resources = await loadJobResources({ modelDir: dir, provider: 'cpu', store: store(0) });
    try {
      for (let rep = 0; rep < reps; rep++) {
        progress(`  run ${rep + 1} of ${reps}`);
        const runStore = rep === 0 ? resources.store : store(rep);
        const before = await resources.engine.stats();
        const result = await runAvatars(
          { ...resources, store: runStore },
          { photos, styleIds: RUN_STYLES, count: 30, seed: 1000 * rep, size, source: 'cli' },
        );
        const after = await resources.engine.stats();
        runStore.close();
        calls.push(
          Object.fromEntries(
            COMPONENTS.map((c) => [c, after[STAT_OF[c]] - before[STAT_OF[c]]]),
          ) as Record<Component, number>,
        );
        total.push(result.timings.totalMs);
        intake.push(result.timings.intakeMs);
        generate.push(result.timings.generateMs);
        engine.push(result.avatars.reduce((sum, a) => sum + a.ms, 0));
        avatars.push(result.avatars.length);
        blocked.push(result.blocked);
      }
      model = { provider: resources.model.provider, autoencoder: resources.model.decoder };
    } finally {
      await resources.engine.close();
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }

  progress('  bare session.run calls, after');
  const bareAfter = await bareSamples(dir, size);
  const perCall = Object.fromEntries(
    COMPONENTS.map((c) => [c, summarize([...bareBefore[c], ...bareAfter[c]])]),
  ) as Record<Component, Summary>;
  const unavoidable = summarize(
    calls.map((run) => COMPONENTS.reduce((sum, c) => sum + run[c] * perCall[c].median, 0)),
  );
  const totalSummary = summarize(total);
  const generateSummary = summarize(generate);
  return {
    scale,
    size,
    ...model!,
    total: totalSummary,
    intake: summarize(intake),
    generate: generateSummary,
    engine: summarize(engine),
    avatars,
    blocked,
    calls,
    perCall,
    unavoidable,
    ratio: totalSummary.median / unavoidable.median,
    generateRatio: generateSummary.median / unavoidable.median,
  };
}

/** One avatar's calls (its first encodes the prompt and the photo), replayed bare: ms per call. */
async function bareSamples(dir: string, size: number): Promise<Record<Component, number[]>> {
  const engine = new Engine();
  try {
    await engine.load({ dir, provider: 'cpu' });
    const [image] = await photoTensors(size);
    const [style] = pickStyles(await loadStyleCatalog(), RUN_STYLES);
    const { calls } = await recordSessionRuns(() =>
      engine.img2img({ ...styleSettings(style!, 'turbo'), image: image!, size, seed: 1 }),
    );
    // The first calls of a session allocate its buffers: one untimed replay, then three.
    await replay(calls);
    const totals = await replaySamples(calls, 3);
    const counts = countByComponent(calls);
    const samples = Object.fromEntries(
      COMPONENTS.map((c) => [c, totals[c].map((ms) => ms / counts[c])]),
    ) as Record<Component, number[]>;
    return samples;
  } finally {
    await engine.close();
  }
}

export function wholeRunRows(r: WholeRunResult): Row[] {
  const part = `5 whole run${r.scale === 1 ? '' : ` x${r.scale}`}`;
  const label = `30 avatars, 5 styles, 3 photos, int8 + ${r.autoencoder === 'tiny' ? 'TAESD' : 'full VAE'}, ${r.size}px, ${r.provider}`;
  const median = (values: number[]): number => summarize(values).median;
  const callsNote = COMPONENTS.map((c) => `${median(r.calls.map((run) => run[c]))} ${c}`).join(
    ', ',
  );
  return [
    {
      part,
      what: `${label}: runAvatars, the app's job`,
      summary: r.total,
      unit: 's',
      ratio: r.ratio,
      note: `vs unavoidable; kept ${r.avatars.join('/')}, blocked ${r.blocked.join('/')}`,
    },
    { part, what: '  of which intake (3 photos)', summary: r.intake, unit: 's' },
    {
      part,
      what: '  of which generation',
      summary: r.generate,
      unit: 's',
      ratio: r.generateRatio,
      note: 'vs unavoidable',
    },
    {
      part,
      what: '    of which img2img in the worker',
      summary: r.engine,
      unit: 's',
      ratio: r.engine.median / r.unavoidable.median,
      note: 'vs unavoidable',
    },
    {
      part,
      what: '  unavoidable compute',
      summary: r.unavoidable,
      unit: 's',
      note: `calls x bare median: ${callsNote}`,
    },
    ...COMPONENTS.map((c) => ({
      part,
      what: `    bare ${c} call`,
      summary: r.perCall[c],
      unit: 's' as const,
    })),
  ];
}
