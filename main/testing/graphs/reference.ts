/**
 * The outputs diffusers itself computed for the tiny reference models
 * (scripts/fixtures/diffusers-reference/README.md): what the graph builders' tests compare against.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { LoraBranches } from '../../engine/components/lora-branches.ts';
import type { GraphBuilder } from '../../graphs/onnx-graph.ts';

export const REFERENCE_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../scripts/fixtures/diffusers-reference',
);

export type ReferenceModel = 'sd1-tiny' | 'sd2-tiny' | 'taesd-tiny';

/** A model's reference/cases.json: the fixed inputs and the shapes of the .f32 files. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the file's shape differs per model
export function referenceCases(model: ReferenceModel): any {
  return JSON.parse(
    readFileSync(path.join(REFERENCE_DIR, model, 'reference', 'cases.json'), 'utf8'),
  );
}

/** A raw little-endian float32 file of a model's reference/ folder. */
export function readReferenceF32(model: ReferenceModel, file: string): Float32Array {
  const bytes = readFileSync(path.join(REFERENCE_DIR, model, 'reference', file));
  return new Float32Array(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
  );
}

/** ‖actual − expected‖₂ / ‖expected‖₂, the README's measure of a graph being right. */
export function relativeL2(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) {
    throw new Error(`relativeL2: ${actual.length} values against ${expected.length}`);
  }
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < expected.length; i++) {
    diff += (actual[i]! - expected[i]!) ** 2;
    norm += expected[i]! ** 2;
  }
  return Math.sqrt(diff / norm);
}

/** An onnxruntime-node session over a built graph, as the engine would load it. */
export function sessionFrom(graph: GraphBuilder): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(graph.encode());
}

/** session.run with its LoRA branches (main/lora/types.ts) fed rank 0, as the engine runs the base model. */
export function runBase(
  session: ort.InferenceSession,
  feeds: Record<string, ort.Tensor>,
): Promise<ort.InferenceSession.ReturnType> {
  const base = LoraBranches.of({ session, file: 'graph', displayName: 'graph' }, 'unet').feeds;
  return session.run({ ...base, ...feeds });
}
