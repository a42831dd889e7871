import type { Int8Weights } from '../models/int8-kernel.ts';
import type { ExternalData, FloatType } from './onnx-graph.ts';

/** How a component is built from its weights: its precision, and where large weights go. */
export interface BuildOptions {
  /** Weights and activations: float32 (the CPU's) or float16 (a GPU's). Default float32. */
  readonly floatType?: FloatType;
  /**
   * Weight layers as dynamic int8 (DynamicQuantizeLinear + MatMulInteger, convs over patches:
   * layers.ts), within this CPU's weight limit (`await int8Weights()`). Default: float.
   */
  readonly quantized?: Int8Weights;
  /** Initializers of 1 KiB and more go here (a UNet past protobuf's 2 GB needs it). */
  readonly external?: ExternalData;
  /**
   * LoRA branches (main/lora/types.ts) on the layers LoRAs train: the UNet's blocks and the text
   * encoder's layers. Default true; at rank 0 an If skips a branch, which then costs nothing.
   */
  readonly lora?: boolean;
}
