/**
 * Matching a LoRA file's layers to the branches a model's graphs declare. Every layer must land:
 * one the model lacks, or one whose widths differ, means the LoRA is for another model, and
 * applying the rest would give a style its author never trained.
 */
import path from 'node:path';
import { fitsShape } from '../weights/weight-source.ts';
import { LoraError } from './errors.ts';
import { BASES, baseOfWidth } from './lora-base.ts';
import type { LoraFile, LoraLayer } from './read-lora.ts';
import { loraBranchDims, type LoraBase, type LoraTarget, type LoraTensor } from './types.ts';

/** A LoRA layer on the branch it feeds, its matrices in that branch's layout (types.ts). */
export interface ResolvedLayer {
  target: LoraTarget;
  down: LoraTensor;
  up: LoraTensor;
  alpha: number;
  rank: number;
}

export interface ResolvedLora {
  file: string;
  layers: ResolvedLayer[];
}

/**
 * Each of the LoRA's layers on its target; `targets` are every branch of the model, both
 * components. Throws LORA_WRONG_BASE, LORA_UNKNOWN_MODULE or LORA_SHAPE naming the key.
 */
export function resolveLora(lora: LoraFile, targets: readonly LoraTarget[]): ResolvedLora {
  const name = path.basename(lora.file);
  const model = modelBase(targets);
  if (lora.base !== undefined && model !== undefined && lora.base !== model) {
    const [ours, theirs] = [BASES[lora.base], BASES[model]];
    throw new LoraError(
      'LORA_WRONG_BASE',
      `${name} is a LoRA for ${ours.name} models (${ours.width}-wide text embeddings); this model is ${theirs.name} (${theirs.width}-wide), such as ${theirs.example}`,
      lora.file,
    );
  }
  // kohya's underscores are ambiguous (`to_out_0` is `to_out.0`), so the model's names are
  // flattened the same way and looked up, never the LoRA's unflattened.
  const moduleName = (target: LoraTarget) =>
    lora.format === 'kohya' ? target.module.replaceAll('.', '_') : target.module;
  const byName = new Map(targets.map((t) => [`${t.component}:${moduleName(t)}`, t] as const));
  return {
    file: lora.file,
    layers: lora.layers.map((layer) => {
      const target = byName.get(`${layer.component}:${layer.name}`);
      if (!target) {
        const graph = layer.component === 'unet' ? 'UNet' : 'text encoder';
        throw new LoraError(
          'LORA_UNKNOWN_MODULE',
          `${name} does not fit this model: "${layer.key}" is for a ${graph} layer ${layer.name} that the model has no LoRA input for`,
          lora.file,
        );
      }
      return onTarget(name, lora.file, layer, target);
    }),
  };
}

/** The line a model's cross-attention width tells, from any UNet key projection. */
function modelBase(targets: readonly LoraTarget[]): LoraBase | undefined {
  const key = targets.find((t) => t.component === 'unet' && t.module.endsWith('attn2.to_k'));
  return key && baseOfWidth(key.inFeatures);
}

/**
 * The layer's matrices in the target's layout: a [r, in, 1, 1] down on a linear layer (or a
 * [r, in] down on a 1x1 conv) is the same data, as SD 1.x's conv proj_in is SD 2.x's linear one.
 */
function onTarget(name: string, file: string, layer: LoraLayer, target: LoraTarget): ResolvedLayer {
  const dims = loraBranchDims(target, layer.rank);
  if (!fitsShape(layer.down.dims, dims.down) || !fitsShape(layer.up.dims, dims.up)) {
    const kind =
      target.kind === 'linear'
        ? `linear layer from ${target.inFeatures} to ${target.outFeatures} features`
        : `${target.kernel}x${target.kernel} convolution from ${target.inFeatures} to ${target.outFeatures} channels`;
    throw new LoraError(
      'LORA_SHAPE',
      `${name} does not fit this model: "${layer.key}" has a down of [${layer.down.dims.join(', ')}] and an up of [${layer.up.dims.join(', ')}], but the model's ${target.module} is a ${kind}`,
      file,
    );
  }
  return {
    target,
    down: { data: layer.down.data, dims: dims.down },
    up: { data: layer.up.data, dims: dims.up },
    alpha: layer.alpha,
    rank: layer.rank,
  };
}
