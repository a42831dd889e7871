import { Tensor, type InferenceSession } from 'onnxruntime-node';
import { EngineError } from '../errors.ts';
import { float16BitsToFloat32, float32ToFloat16Bits } from './float16.ts';

export type TensorMetadata = InferenceSession.TensorValueMetadata;

/**
 * Builds a tensor in exactly the dtype the model declares for that input. Exporters disagree
 * (int32 vs int64 ids, int64 vs float vs float16 timesteps), so the declaration, not the variant
 * we expect, decides. int64 values are truncated toward zero, as numpy's astype does.
 */
export function tensorFor(
  meta: TensorMetadata,
  values: ArrayLike<number>,
  dims: readonly number[],
  file: string,
): Tensor {
  switch (meta.type) {
    case 'float32':
      // Latents are already Float32Array: hand them over without a copy. onnxruntime-node
      // refuses shared memory (a run's photos are shared with the worker), so that is copied,
      // by the constructor: V8's slice() of shared memory goes value by value, ~10x slower.
      return new Tensor(
        'float32',
        values instanceof Float32Array
          ? values.buffer instanceof SharedArrayBuffer
            ? new Float32Array(values)
            : values
          : Float32Array.from(values),
        dims,
      );
    case 'float16':
      return new Tensor('float16', float32ToFloat16Bits(Float32Array.from(values)), dims);
    case 'float64':
      return new Tensor('float64', Float64Array.from(values), dims);
    case 'int32':
      return new Tensor('int32', Int32Array.from(values, Math.trunc), dims);
    case 'int64':
      return new Tensor(
        'int64',
        BigInt64Array.from(Array.from(values), (v) => BigInt(Math.trunc(v))),
        dims,
      );
    default:
      throw new EngineError(
        'MODEL_IO_MISMATCH',
        `${file}: input '${meta.name}' has type ${meta.type}; expected a float or integer tensor`,
        file,
      );
  }
}

/** Reads any float output as float32, whatever precision the model computes in. */
export function float32Of(tensor: Tensor, file: string): Float32Array {
  switch (tensor.type) {
    case 'float32':
      return tensor.data as Float32Array;
    case 'float16':
      return float16BitsToFloat32(tensor.data as Uint16Array);
    case 'float64':
      return Float32Array.from(tensor.data as Float64Array);
    default:
      throw new EngineError(
        'MODEL_IO_MISMATCH',
        `${file}: output has type ${tensor.type}; expected a float tensor`,
        file,
      );
  }
}
