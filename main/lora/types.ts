/**
 * LoRA as the engine applies it: every LoRA-able layer of a built graph carries a low-rank branch
 * whose two matrices are graph inputs, y = W·x + up·(down·x), fed per call. A layer no LoRA touches
 * is fed rank 0, which the graph's If skips. Switching styles is then a change of feeds, never a
 * session reload.
 */

/** The graph a layer belongs to: the UNet or the text encoder, in this order. */
export const LORA_COMPONENTS = ['unet', 'text_encoder'] as const;
export type LoraComponent = (typeof LORA_COMPONENTS)[number];

/** The model lines LoRAs are trained for, told apart by their text encoder and cross-attention. */
export type LoraBase = 'sd1' | 'sd2';

/**
 * A layer of a built graph that takes a low-rank branch, as its session declares it. `module` is
 * the diffusers (UNet) or transformers (text encoder, without `text_model.`) module path:
 * `down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q`, `encoder.layers.0.self_attn.q_proj`.
 */
export interface LoraTarget {
  component: LoraComponent;
  module: string;
  /** A linear layer (x @ Wᵀ over the last axis) or a square-kernel NCHW convolution. */
  kind: 'linear' | 'conv';
  inFeatures: number;
  outFeatures: number;
  /** The convolution's kernel size (1 for a linear layer). */
  kernel: number;
  /**
   * The graph skips the branch at rank 0 (loraRankDim). Without, as in graphs built before it
   * did, every branch runs, and one no LoRA touches is fed rank 1 of zeros: onnxruntime leaves
   * the output of an empty inner dimension unwritten.
   */
  skipsRankZero?: boolean;
}

/**
 * The name of a branch's rank axis in the graphs the builder writes (main/graphs/layers.ts), which
 * skip the branch at rank 0; graphs built before named it `<module>.rank` and ran it always.
 */
export function loraRankDim(module: string): string {
  return `${module}.rank_or_0`;
}

/**
 * The graph inputs of a target's branch, in PyTorch's layout (the LoRA file's): a linear layer's
 * `down` is [rank, in] and `up` [out, rank]; a convolution's `down` is [rank, in, k, k] (the
 * layer's own stride and padding) and `up` [out, rank, 1, 1]. Both are float32 whatever the
 * graph's precision; rank is each input's own dynamic axis.
 */
export function loraInputNames(module: string): { down: string; up: string } {
  return { down: `lora.${module}.down`, up: `lora.${module}.up` };
}

/** The prefix every branch input's name starts with. */
export const LORA_INPUT_PREFIX = 'lora.';

/** A float32 tensor in row-major order. */
export interface LoraTensor {
  data: Float32Array;
  dims: number[];
}

/** The dims of a target's `down` and `up` inputs at `rank`, in the layouts above. */
export function loraBranchDims(target: LoraTarget, rank: number): { down: number[]; up: number[] } {
  return target.kind === 'linear'
    ? { down: [rank, target.inFeatures], up: [target.outFeatures, rank] }
    : {
        down: [rank, target.inFeatures, target.kernel, target.kernel],
        up: [target.outFeatures, rank, 1, 1],
      };
}
