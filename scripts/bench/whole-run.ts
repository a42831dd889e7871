/**
 * Part 5, the whole run against its limit: the app's own job (runAvatars: intake, the engine in
 * its worker thread, moderation, likeness, the encrypted store) making 30 avatars of 5 styles from
 * 3 photos on the SD-Turbo-shaped int8 model with TAESD, the CPU's default. Its limit is the
 * compute it cannot avoid: the session.run calls the engine counted during the run, each priced
 * at its bare median, replayed in this process on the same model and thread count.
 *
 * A shared machine drifts by 10-15% over the minutes a run takes, so the bare replays are taken
 * between the runs (before the first, between each two, after the last) and each run is priced
 * at the replays on either side of it; the ratio is the median of the runs' own ratios.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine, type EngineStats } from '../../main/engine/engine.ts';
import { photo } from '../../main/testing/photos.ts';
import { loadJobResources } from '../../main/jobs/resources.ts';
import { runAvatars } from '../../main/jobs/run-avatars.ts';
import { openStore } from '../../main/store/index.ts';
import { loadStyleCatalog, pickStyles, styleSettings } from '../../main/styles/catalog.ts';
import { fullSizeModel, type FullSizeUnet } from '../fixtures/full-size.ts';
import { photoTensors, RUN_PHOTOS, RUN_STYLES } from './avatar-run.ts';
import type { Row } from './report.ts';
import {
  COMPONENTS,
  countByComponent,
  recordSessionRuns,
  replay,
  replaySamples,
  type Component,
  type RecordedCall,
} from './session-calls.ts';
import { summarize, type Summary } from './stats.ts';

export interface WholeRunOptions {
  scale: number;
  /** SD-Turbo's UNet (the default model as shipped) or a distilled shape of it. */
  unet: FullSizeUnet;
  size: number;
  reps: number;
  progress: (message: string) => void;
}

export interface WholeRunResult {
  scale: number;
  unet: FullSizeUnet;
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
  /** Each run's calls at the bare medians of the replays on either side of it. */
  unavoidable: Summary;
  /** Each run's total and unavoidable milliseconds, in the order they ran. */
  runs: { totalMs: number; unavoidableMs: number }[];
  /** The median over runs of each run's total / its unavoidable compute. */
  ratio: number;
  /** The same for the generation phase alone, and for the engine's own time in its worker. */
  generateRatio: number;
  engineRatio: number;
}

const STAT_OF: Record<Component, keyof EngineStats> = {
  text_encoder: 'textEncoderCalls',
  image_encoder: 'imageEncoderCalls',
  unet: 'unetCalls',
  decoder: 'decoderCalls',
};

export async function measureWholeRun(options: WholeRunOptions): Promise<WholeRunResult> {
  const { scale, size, unet, progress } = options;
  // A run takes minutes on 2 cores: three are enough for a median.
  const reps = Math.min(options.reps, 3);
  const dir = await fullSizeModel({ scale, quantized: true, unet });
  const photos = RUN_PHOTOS.map(photo);
  const root = await mkdtemp(join(tmpdir(), 'bench-whole-run-'));
  const runs: RunFigures[] = [];
  const bareSets: Record<Component, number[]>[] = [];
  let model: { provider: string; autoencoder: string } | undefined;
  const bare = await BareReplay.open(dir, size);
  try {
    progress('  bare session.run calls, before the first run');
    bareSets.push(await bare.sample());
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
        runs.push({
          calls: Object.fromEntries(
            COMPONENTS.map((c) => [c, after[STAT_OF[c]] - before[STAT_OF[c]]]),
          ) as Record<Component, number>,
          total: result.timings.totalMs,
          intake: result.timings.intakeMs,
          generate: result.timings.generateMs,
          engine: result.avatars.reduce((sum, a) => sum + a.ms, 0),
          avatars: result.avatars.length,
          blocked: result.blocked,
        });
        progress(`  bare session.run calls, after run ${rep + 1}`);
        bareSets.push(await bare.sample());
      }
      model = { provider: resources.model.provider, autoencoder: resources.model.decoder };
    } finally {
      await resources.engine.close();
    }
  } finally {
    await bare.close();
    await rm(root, { recursive: true, force: true });
  }

  // Run i is priced at the replays just before and just after it.
  const unavoidable = runs.map((run, i) =>
    COMPONENTS.reduce(
      (sum, c) =>
        sum + run.calls[c] * summarize([...bareSets[i]![c], ...bareSets[i + 1]![c]]).median,
      0,
    ),
  );
  const ratioOf = (figure: (run: RunFigures) => number): number =>
    summarize(runs.map((run, i) => figure(run) / unavoidable[i]!)).median;
  return {
    scale,
    unet,
    size,
    ...model!,
    total: summarize(runs.map((r) => r.total)),
    intake: summarize(runs.map((r) => r.intake)),
    generate: summarize(runs.map((r) => r.generate)),
    engine: summarize(runs.map((r) => r.engine)),
    avatars: runs.map((r) => r.avatars),
    blocked: runs.map((r) => r.blocked),
    calls: runs.map((r) => r.calls),
    perCall: Object.fromEntries(
      COMPONENTS.map((c) => [c, summarize(bareSets.flatMap((set) => set[c]))]),
    ) as Record<Component, Summary>,
    unavoidable: summarize(unavoidable),
    runs: runs.map((run, i) => ({ totalMs: run.total, unavoidableMs: unavoidable[i]! })),
    ratio: ratioOf((r) => r.total),
    generateRatio: ratioOf((r) => r.generate),
    engineRatio: ratioOf((r) => r.engine),
  };
}

interface RunFigures {
  calls: Record<Component, number>;
  total: number;
  intake: number;
  generate: number;
  engine: number;
  avatars: number;
  blocked: number;
}

/**
 * One avatar's calls (its first encodes the prompt and the photo) on an in-process engine of its
 * own, kept loaded between the runs, to be replayed bare.
 */
class BareReplay {
  private constructor(
    private readonly engine: Engine,
    private readonly calls: RecordedCall[],
  ) {}

  static async open(dir: string, size: number): Promise<BareReplay> {
    const engine = new Engine();
    try {
      await engine.load({ dir, provider: 'cpu' });
      const [image] = await photoTensors(size);
      const [style] = pickStyles(await loadStyleCatalog(), RUN_STYLES);
      const { calls } = await recordSessionRuns(() =>
        engine.img2img({ ...styleSettings(style!, 'turbo'), image: image!, size, seed: 1 }),
      );
      return new BareReplay(engine, calls);
    } catch (error) {
      await engine.close();
      throw error;
    }
  }

  /** Milliseconds per call of each component, 3 replays after an untimed one (buffers, caches). */
  async sample(): Promise<Record<Component, number[]>> {
    await replay(this.calls);
    const totals = await replaySamples(this.calls, 3);
    const counts = countByComponent(this.calls);
    return Object.fromEntries(
      COMPONENTS.map((c) => [c, totals[c].map((ms) => ms / counts[c])]),
    ) as Record<Component, number[]>;
  }

  close(): Promise<void> {
    return this.engine.close();
  }
}

export function wholeRunRows(r: WholeRunResult): Row[] {
  const part = `5 whole run${r.scale === 1 ? '' : ` x${r.scale}`}`;
  const unet = r.unet === 'sd-turbo' ? '' : `${r.unet} UNet, `;
  const label = `30 avatars, 5 styles, 3 photos, ${unet}int8 + ${r.autoencoder === 'tiny' ? 'TAESD' : 'full VAE'}, ${r.size}px, ${r.provider}`;
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
      note: `each run vs its own unavoidable, median; kept ${r.avatars.join('/')}, blocked ${r.blocked.join('/')}`,
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
      ratio: r.engineRatio,
      note: 'vs unavoidable',
    },
    {
      part,
      what: '  unavoidable compute',
      summary: r.unavoidable,
      unit: 's',
      note: `calls x bare medians either side: ${callsNote}`,
    },
    ...COMPONENTS.map((c) => ({
      part,
      what: `    bare ${c} call`,
      summary: r.perCall[c],
      unit: 's' as const,
    })),
  ];
}
