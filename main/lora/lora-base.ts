/**
 * Which model line a LoRA or a model belongs to. SD 1.x and SD 2.x share the UNet's module names,
 * so a LoRA for the other line is only told apart by its widths: the text embeddings its
 * cross-attention reads (CLIP's 768, OpenCLIP's 1024), or what its trainer wrote down.
 */
import type { LoraBase } from './types.ts';

export const BASES: Readonly<Record<LoraBase, { name: string; width: number; example: string }>> = {
  sd1: { name: 'SD 1.x', width: 768, example: 'SD 1.5' },
  sd2: { name: 'SD 2.x', width: 1024, example: 'SD-Turbo' },
};

/** The line whose text embeddings are `width` wide; undefined for any other width. */
export function baseOfWidth(width: number): LoraBase | undefined {
  return (Object.keys(BASES) as LoraBase[]).find((base) => BASES[base].width === width);
}

/**
 * The line kohya's sd-scripts recorded in a LoRA's `__metadata__`: `ss_base_model_version`
 * ("sd_v1", "sd_2.1", "sdxl_base_v1-0"), else the older `ss_v2` flag. 'sdxl' is refused by the
 * reader; undefined when the trainer wrote neither.
 */
export function metadataBase(
  metadata: Readonly<Record<string, string>>,
): LoraBase | 'sdxl' | undefined {
  const version = metadata['ss_base_model_version'];
  if (version?.startsWith('sdxl')) return 'sdxl';
  const line = /^sd_?v?([12])/.exec(version ?? '')?.[1];
  if (line) return line === '1' ? 'sd1' : 'sd2';
  const v2 = metadata['ss_v2'];
  return v2 === 'True' ? 'sd2' : v2 === 'False' ? 'sd1' : undefined;
}
