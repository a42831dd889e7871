/**
 * Where a graph builder (main/graphs) takes its weights from: a model's safetensors files as
 * diffusers and transformers name their parameters, or seeded random values for the fixtures.
 */
import { SafetensorsError, type SafetensorsFile } from './safetensors.ts';

export interface WeightSource {
  /**
   * The float tensor `name` (a diffusers/transformers parameter name, e.g.
   * "down_blocks.0.resnets.0.conv1.weight") in PyTorch's layout, as float32. Throws naming the
   * tensor when it is absent or its shape is not `shape`.
   */
  tensor(name: string, shape: readonly number[]): Float32Array;
  /** Whether the source has `name` (optional parts: a conv_shortcut, a mid block). */
  has(name: string): boolean;
}

/** The tensors of one or more safetensors files, by name; `prefix` is prepended to every name. */
export function safetensorsWeights(files: readonly SafetensorsFile[], prefix = ''): WeightSource {
  const owner = (name: string) => files.find((file) => file.has(prefix + name));
  return {
    has: (name) => owner(name) !== undefined,
    tensor(name, shape) {
      const file = owner(name);
      if (!file) {
        throw new SafetensorsError(
          files[0]?.file ?? 'the weights',
          `holds no tensor "${prefix + name}"`,
        );
      }
      const info = file.info(prefix + name);
      if (!fitsShape(info.shape, shape)) {
        throw new SafetensorsError(
          file.file,
          `tensor "${prefix + name}" is [${info.shape.join(', ')}], the model needs [${shape.join(', ')}]`,
        );
      }
      return file.readFloat32(prefix + name);
    },
  };
}

/**
 * Whether a stored tensor of shape `stored` can be read as `wanted`. A [1, n] or [n, 1] tensor read
 * as [n] (and back) is the same data: some exporters keep the singleton axes of 1x1 convolutions
 * and projections, some drop them.
 */
export function fitsShape(stored: readonly number[], wanted: readonly number[]): boolean {
  const elements = (dims: readonly number[]) => dims.reduce((n, d) => n * d, 1);
  const squeezed = (dims: readonly number[]) => dims.filter((d) => d !== 1).join('x');
  return (
    (stored.length === wanted.length && stored.every((d, i) => d === wanted[i])) ||
    (elements(stored) === elements(wanted) && squeezed(stored) === squeezed(wanted))
  );
}
