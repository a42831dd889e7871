/**
 * What every component builder starts from: a GraphBuilder over the model's weights, its blocks,
 * and float32 I/O whatever the weights' dtype. A float16 graph casts at its boundary as
 * onnxconverter-common's keep_io_types does, so the engine feeds every variant the same tensors.
 */
import type { BuildOptions } from './build-options.ts';
import { FullBlocks } from './full-blocks.ts';
import type { LoraScope } from './layers.ts';
import { GraphBuilder, type Dim, type Value } from './onnx-graph.ts';
import type { WeightSource } from '../weights/weight-source.ts';

/** Dynamic axes as Optimum names them. */
export const DIMS = {
  batch: 'batch_size',
  sequence: 'sequence_length',
  steps: 'steps',
  height: 'height',
  width: 'width',
  latentHeight: 'height_latent',
  latentWidth: 'width_latent',
} as const;

/** An autoencoder's latents [B, C, h, w] and images [B, C, H, W], with Optimum's axis names. */
export const latentShape = (channels: number) => [
  DIMS.batch,
  channels,
  DIMS.latentHeight,
  DIMS.latentWidth,
];
export const imageShape = (channels: number) => [DIMS.batch, channels, DIMS.height, DIMS.width];

export class ComponentGraph {
  readonly g: GraphBuilder;
  readonly nn: FullBlocks;

  /** @param loraScope the layers that take LoRA branches, unless options.lora is false */
  constructor(
    name: string,
    weights: WeightSource,
    options: BuildOptions = {},
    loraScope?: LoraScope,
  ) {
    const floatType = options.floatType ?? 'float32';
    // Layers dequantize int8 layers to float32, so their outputs cannot meet float16 weights.
    if (floatType === 'float16' && options.quantized) {
      throw new Error(`${name}: quantized int8 graphs are float32; float16 cannot be combined`);
    }
    // The seed only draws weights a source lacks; a builder with a source reads them all.
    this.g = new GraphBuilder(name, 0, floatType, options.external, weights);
    const lora = options.lora === false ? undefined : loraScope;
    this.nn = new FullBlocks(this.g, options.quantized, lora);
  }

  /** A float32 input, in the weights' dtype. */
  input(name: string, shape: readonly Dim[]): Value {
    return this.nn.convert(this.g.input(name, 'float32', shape), 'float32', this.g.floatType);
  }

  /** `value` as a float32 output. */
  output(value: Value, name: string, shape: readonly Dim[]): GraphBuilder {
    this.g.output(this.nn.convert(value, this.g.floatType, 'float32'), name, 'float32', shape);
    return this.g;
  }
}
