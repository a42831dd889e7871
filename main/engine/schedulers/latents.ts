import { EngineError } from '../errors.ts';

/**
 * out[i] = f(a[i], b[i]). Each element is computed in float64 and stored as float32: torch rounds
 * after every operation, we round once per formula, which keeps us well inside the 1e-4 parity
 * target while storing latents in the dtype the ONNX models take.
 */
export function combine(
  a: Float32Array,
  b: Float32Array,
  f: (a: number, b: number) => number,
): Float32Array {
  if (a.length !== b.length) {
    throw new EngineError(
      'BAD_ARGUMENT',
      `latent arrays differ in length: ${a.length} and ${b.length} values`,
    );
  }
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = f(a[i]!, b[i]!);
  return out;
}

/** Σ_k weights[k]·arrays[k], elementwise, in float64 and stored as float32 (as `combine`). */
export function weightedSum(
  arrays: readonly Float32Array[],
  weights: readonly number[],
): Float32Array {
  const out = new Float32Array(arrays[0]!.length);
  for (let i = 0; i < out.length; i++) {
    let sum = 0;
    arrays.forEach((array, k) => (sum += weights[k]! * array[i]!));
    out[i] = sum;
  }
  return out;
}
