/**
 * Part 1, overhead: a 30-avatar run's engine work (5 text encodes, 3 image encodes, the UNet
 * calls, 30 decodes) through the in-process Engine and through the worker-thread EngineClient the
 * app uses, against the same session.run calls with the same tensors replayed back to back.
 */
import { Engine } from '../../main/engine/engine.ts';
import { EngineClient } from '../../main/engine/engine-client.ts';
import { avatarRunRequests, photoTensors, runRequests } from './avatar-run.ts';
import {
  COMPONENTS,
  countByComponent,
  recordSessionRuns,
  replay,
  type Component,
  type ComponentMs,
} from './session-calls.ts';
import type { Row } from './report.ts';
import { summarize, timeMs, type Summary } from './stats.ts';

export interface OverheadResult {
  size: number;
  calls: Record<Component, number>;
  bare: Summary;
  /** Median per component of the bare replay: where the unavoidable time goes. */
  bareByComponent: ComponentMs;
  engine: Summary;
  worker: Summary;
  /** median(engine) / median(bare), both from this process and these repetitions. */
  engineRatio: number;
  workerRatio: number;
}

export async function measureOverhead(
  modelDir: string,
  size: number,
  reps: number,
): Promise<OverheadResult> {
  const photos = await photoTensors(size);
  const engine = new Engine();
  const client = new EngineClient();
  try {
    const options = { dir: modelDir, provider: 'cpu' as const };
    const [info] = await Promise.all([engine.load(options), client.load(options)]);
    // Repetition 0 warms both engines up and records the calls the bare loop replays.
    const first = await avatarRunRequests(info.family, photos, size, 0);
    const { calls } = await recordSessionRuns(() => runRequests(engine, first));
    await runRequests(client, first);

    const bare: number[] = [];
    const perComponent: ComponentMs[] = [];
    const inProcess: number[] = [];
    const worker: number[] = [];
    for (let rep = 1; rep <= reps; rep++) {
      const requests = await avatarRunRequests(info.family, photos, size, rep);
      const replayed = await replay(calls);
      bare.push(replayed.ms);
      perComponent.push(replayed.byComponent);
      inProcess.push(await timeMs(() => runRequests(engine, requests)));
      worker.push(await timeMs(() => runRequests(client, requests)));
    }
    const result = {
      size,
      calls: countByComponent(calls),
      bare: summarize(bare),
      bareByComponent: Object.fromEntries(
        COMPONENTS.map((c) => [c, summarize(perComponent.map((p) => p[c])).median]),
      ) as ComponentMs,
      engine: summarize(inProcess),
      worker: summarize(worker),
    };
    return {
      ...result,
      engineRatio: result.engine.median / result.bare.median,
      workerRatio: result.worker.median / result.bare.median,
    };
  } finally {
    await Promise.all([engine.close(), client.close()]);
  }
}

export function overheadRows(r: OverheadResult, label: string): Row[] {
  const part = '1 overhead';
  const ms = (median: number): Summary => ({ median, min: median, max: median, n: r.bare.n });
  const calls = `${r.calls.text_encoder} text + ${r.calls.image_encoder} image encodes, ${r.calls.unet} UNet, ${r.calls.decoder} decodes`;
  return [
    { part, what: `bare session.run loop (${label})`, summary: r.bare, unit: 's', note: calls },
    ...COMPONENTS.map((c) => ({
      part,
      what: `  of which ${c.replace('_', ' ')}`,
      summary: ms(r.bareByComponent[c]),
      unit: 's' as const,
      note: 'median of its share',
    })),
    {
      part,
      what: 'engine run, in-process Engine',
      summary: r.engine,
      unit: 's',
      ratio: r.engineRatio,
      note: 'vs bare',
    },
    {
      part,
      what: 'engine run, worker EngineClient (the app)',
      summary: r.worker,
      unit: 's',
      ratio: r.workerRatio,
      note: 'vs bare',
    },
  ];
}
