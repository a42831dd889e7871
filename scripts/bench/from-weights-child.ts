/**
 * One part-6 measurement in its own process, so its peak memory is its own: either a build of the
 * checkpoint into a model folder, or a UNet call (batch 1, 64x64 latents: 512 px) on the UNet of a
 * folder, loaded as the engine loads it (main/engine/onnx/providers.ts: its threads, its
 * optimisation level). Prints its result as JSON on the last line of stdout.
 */
import { Tensor } from 'onnxruntime-node';
import { join } from 'node:path';
import { createSession } from '../../main/engine/onnx/providers.ts';
import { defaultIntraOpThreads } from '../../main/engine/onnx/threads.ts';
import {
  buildFromCheckpoint,
  type BuildPrecision,
} from '../../main/models/from-weights/build-folder.ts';
import { summarize, timeMs, type Summary } from './stats.ts';

export type FromWeightsTask =
  | { kind: 'build'; checkpoint: string; out: string; precision: BuildPrecision }
  | { kind: 'unet'; dir: string; reps: number };

export interface BuildResult {
  ms: number;
  /** Peak resident memory of the build's process (resourceUsage().maxRSS). */
  peakRssBytes: number;
}

export interface UnetCallResult {
  loadMs: number;
  /** After one warm-up call. */
  call: Summary;
  threads: number;
  peakRssBytes: number;
}

const peakRss = (): number => process.resourceUsage().maxRSS * 1024;

async function buildTask(task: Extract<FromWeightsTask, { kind: 'build' }>): Promise<BuildResult> {
  const ms = await timeMs(() =>
    buildFromCheckpoint(task.checkpoint, task.out, { precision: task.precision }),
  );
  return { ms, peakRssBytes: peakRss() };
}

async function unetTask(task: Extract<FromWeightsTask, { kind: 'unet' }>): Promise<UnetCallResult> {
  let session!: Awaited<ReturnType<typeof createSession>>['session'];
  const loadMs = await timeMs(async () => {
    ({ session } = await createSession(join(task.dir, 'unet', 'model.onnx'), 'unet', ['cpu'], {}));
  });
  const context = session.inputMetadata.find((m) => m.name === 'encoder_hidden_states');
  const hidden = context?.isTensor ? Number(context.shape.at(-1)) : NaN;
  if (!Number.isInteger(hidden)) throw new Error(`${task.dir}: no encoder_hidden_states width`);
  const noise = (dims: number[]) => {
    const data = new Float32Array(dims.reduce((n, d) => n * d, 1));
    for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 12.9898) * 0.5;
    return new Tensor('float32', data, dims);
  };
  const feeds = {
    sample: noise([1, 4, 64, 64]),
    timestep: new Tensor('float32', Float32Array.of(999), [1]),
    encoder_hidden_states: noise([1, 77, hidden]),
  };
  await session.run(feeds);
  const calls: number[] = [];
  for (let i = 0; i < task.reps; i++) calls.push(await timeMs(() => session.run(feeds)));
  await session.release();
  return {
    loadMs,
    call: summarize(calls),
    threads: defaultIntraOpThreads(),
    peakRssBytes: peakRss(),
  };
}

const task = JSON.parse(process.argv[2]!) as FromWeightsTask;
console.log(JSON.stringify(task.kind === 'build' ? await buildTask(task) : await unetTask(task)));
