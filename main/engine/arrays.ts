/** Joins tensors along the batch axis (all NCHW data is contiguous per batch item). */
export function concatFloat32(parts: readonly Float32Array[]): Float32Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * The same values in shared memory. A run posts each photo to the engine's worker once per
 * avatar; postMessage copies an ordinary 512 px photo tensor (3 MB, ~6 ms each time, measured by
 * scripts/bench) but hands a SharedArrayBuffer over as is.
 */
export function sharedFloat32(values: Float32Array): Float32Array {
  const shared = new Float32Array(new SharedArrayBuffer(values.byteLength));
  shared.set(values);
  return shared;
}
