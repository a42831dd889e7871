/**
 * The "bare" side of every overhead ratio: the exact session.run calls a run made, recorded with
 * their input tensors, then replayed back to back on the same warm sessions. Whatever the engine
 * spends beyond that replay is overhead.
 */
import { InferenceSession } from 'onnxruntime-node';

export const COMPONENTS = ['text_encoder', 'image_encoder', 'unet', 'decoder'] as const;
export type Component = (typeof COMPONENTS)[number];

export interface RecordedCall {
  session: InferenceSession;
  feeds: InferenceSession.FeedsType;
  component: Component;
}

export type ComponentMs = Record<Component, number>;

/** Which SD component a session is, by the inputs each one declares (see SD-ONNX.md). */
function componentOf(session: InferenceSession): Component {
  const inputs = session.inputNames;
  if (inputs.includes('input_ids')) return 'text_encoder';
  if (inputs.includes('latent_sample')) return 'decoder';
  return inputs.includes('timestep') ? 'unet' : 'image_encoder';
}

/** Runs `fn`, recording every session.run made in this thread meanwhile. */
export async function recordSessionRuns<T>(
  fn: () => Promise<T>,
): Promise<{ result: T; calls: RecordedCall[] }> {
  const calls: RecordedCall[] = [];
  // The typings declare only the factory; at run time InferenceSession is a class.
  const proto = (InferenceSession as unknown as { prototype: { run: InferenceSession['run'] } })
    .prototype;
  const original = proto.run;
  proto.run = function (this: InferenceSession, ...args: Parameters<InferenceSession['run']>) {
    calls.push({
      session: this,
      feeds: args[0] as InferenceSession.FeedsType,
      component: componentOf(this),
    });
    return original.apply(this, args);
  } as InferenceSession['run'];
  try {
    return { result: await fn(), calls };
  } finally {
    proto.run = original;
  }
}

/** Replays the calls in order; milliseconds in all and per component. */
export async function replay(
  calls: readonly RecordedCall[],
): Promise<{ ms: number; byComponent: ComponentMs }> {
  const byComponent = Object.fromEntries(COMPONENTS.map((c) => [c, 0])) as ComponentMs;
  const started = performance.now();
  for (const call of calls) {
    const callStarted = performance.now();
    await call.session.run(call.feeds);
    byComponent[call.component] += performance.now() - callStarted;
  }
  return { ms: performance.now() - started, byComponent };
}

/** Replays the calls `reps` times: each component's milliseconds in each replay. */
export async function replaySamples(
  calls: readonly RecordedCall[],
  reps: number,
): Promise<Record<Component, number[]>> {
  const samples = Object.fromEntries(COMPONENTS.map((c) => [c, [] as number[]])) as Record<
    Component,
    number[]
  >;
  for (let rep = 0; rep < reps; rep++) {
    const { byComponent } = await replay(calls);
    for (const c of COMPONENTS) samples[c].push(byComponent[c]);
  }
  return samples;
}

export function countByComponent(calls: readonly RecordedCall[]): Record<Component, number> {
  const counts = Object.fromEntries(COMPONENTS.map((c) => [c, 0])) as Record<Component, number>;
  for (const call of calls) counts[call.component]++;
  return counts;
}
