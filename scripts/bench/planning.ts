/**
 * Part 2, planning: the same 30-avatar run with the engine's per-run caches (each style's prompt
 * and each photo encoded once) against a fresh cache per avatar (every avatar encodes its prompt
 * and its photo again), on one set of warm sessions.
 */
import { loadModel, type SdModel } from '../../main/engine/model.ts';
import { createCaches, img2img, type PipelineCaches } from '../../main/engine/pipeline.ts';
import { avatarRunRequests, photoTensors } from './avatar-run.ts';
import type { Row } from './report.ts';
import { summarize, timeMs, type Summary } from './stats.ts';

interface Encodes {
  textEncoderCalls: number;
  imageEncoderCalls: number;
}

export interface PlanningResult {
  size: number;
  cachesOn: Summary & Encodes;
  cachesOff: Summary & Encodes;
  /** median(off) / median(on). */
  ratio: number;
}

export async function measurePlanning(
  modelDir: string,
  size: number,
  reps: number,
): Promise<PlanningResult> {
  const model = await loadModel({ dir: modelDir, provider: 'cpu' });
  try {
    const requests = await avatarRunRequests(model.family, await photoTensors(size), size);
    const run = async (cachesFor: () => PipelineCaches): Promise<void> => {
      for (const request of requests) await img2img(model, request, { caches: cachesFor() });
    };
    // On: one caches object per run, as a freshly loaded Engine has. Off: one per avatar.
    const cachesOn = (): Promise<void> => {
      const caches = createCaches();
      return run(() => caches);
    };
    const cachesOff = (): Promise<void> => run(createCaches);
    await cachesOn(); // warm-up

    const on: number[] = [];
    const off: number[] = [];
    let onEncodes = encodes(model);
    let offEncodes = onEncodes;
    for (let rep = 0; rep < reps; rep++) {
      const before = encodes(model);
      on.push(await timeMs(cachesOn));
      const middle = encodes(model);
      off.push(await timeMs(cachesOff));
      onEncodes = difference(middle, before);
      offEncodes = difference(encodes(model), middle);
    }
    const withCaches = { ...summarize(on), ...onEncodes };
    const withoutCaches = { ...summarize(off), ...offEncodes };
    return {
      size,
      cachesOn: withCaches,
      cachesOff: withoutCaches,
      ratio: withoutCaches.median / withCaches.median,
    };
  } finally {
    await model.release();
  }
}

function encodes(model: SdModel): Encodes {
  return { textEncoderCalls: model.textEncoder.calls, imageEncoderCalls: model.encoder.calls };
}

function difference(a: Encodes, b: Encodes): Encodes {
  return {
    textEncoderCalls: a.textEncoderCalls - b.textEncoderCalls,
    imageEncoderCalls: a.imageEncoderCalls - b.imageEncoderCalls,
  };
}

export function planningRows(r: PlanningResult, label: string): Row[] {
  const part = '2 planning';
  const encodes = (e: { textEncoderCalls: number; imageEncoderCalls: number }): string =>
    `${e.textEncoderCalls} text + ${e.imageEncoderCalls} image encodes`;
  return [
    {
      part,
      what: `30 avatars, caches on (${label})`,
      summary: r.cachesOn,
      unit: 's',
      note: encodes(r.cachesOn),
    },
    {
      part,
      what: '30 avatars, caches off (encode per avatar)',
      summary: r.cachesOff,
      unit: 's',
      ratio: r.ratio,
      note: `${encodes(r.cachesOff)}; vs on`,
    },
  ];
}
