/**
 * The branch inputs of a model's graph for a set of LoRAs at their scales. Several LoRAs on one
 * layer are one branch of their summed rank: up₁·down₁ + up₂·down₂ = [up₁ up₂]·[down₁; down₂], so
 * the graph never changes with how many styles are mixed.
 */
import type { ResolvedLayer, ResolvedLora } from './resolve-lora.ts';
import { loraBranchDims, loraInputNames, type LoraTarget, type LoraTensor } from './types.ts';

/**
 * Both inputs of every target, by input name: the applied layers stacked along the rank axis, each
 * `up` times scale · alpha / rank; where none applies, rank 0, or rank 1 of zeros for a graph that
 * does not skip an empty branch (types.ts). A scale of 0 applies nothing, so the graph gives the
 * base model's numbers exactly.
 */
export function loraFeeds(
  targets: readonly LoraTarget[],
  applied: readonly { lora: ResolvedLora; scale: number }[],
): Map<string, LoraTensor> {
  const onModule = new Map<string, { layer: ResolvedLayer; factor: number }[]>();
  for (const { lora, scale } of applied) {
    if (!Number.isFinite(scale)) {
      throw new RangeError(`the scale of LoRA ${lora.file} is ${scale}, not a finite number`);
    }
    if (scale === 0) continue;
    for (const layer of lora.layers) {
      const key = `${layer.target.component}:${layer.target.module}`;
      const list = onModule.get(key) ?? [];
      list.push({ layer, factor: (scale * layer.alpha) / layer.rank });
      onModule.set(key, list);
    }
  }
  const feeds = new Map<string, LoraTensor>();
  for (const target of targets) {
    const stacked = onModule.get(`${target.component}:${target.module}`) ?? [];
    const rank = Math.max(
      target.skipsRankZero ? 0 : 1,
      stacked.reduce((sum, { layer }) => sum + layer.rank, 0),
    );
    const dims = loraBranchDims(target, rank);
    const names = loraInputNames(target.module);
    // down stacks whole row blocks; up, [out, rank(, 1, 1)], takes each output row's ranks in turn.
    const rowSize = dims.down.slice(1).reduce((n, d) => n * d, 1);
    const down = new Float32Array(rank * rowSize);
    const up = new Float32Array(target.outFeatures * rank);
    let row = 0;
    for (const { layer, factor } of stacked) {
      down.set(layer.down.data, row * rowSize);
      for (let o = 0; o < target.outFeatures; o++) {
        for (let r = 0; r < layer.rank; r++) {
          up[o * rank + row + r] = layer.up.data[o * layer.rank + r]! * factor;
        }
      }
      row += layer.rank;
    }
    feeds.set(names.down, { data: down, dims: dims.down });
    feeds.set(names.up, { data: up, dims: dims.up });
  }
  return feeds;
}
