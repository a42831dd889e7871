/**
 * The text encoder of an LDM checkpoint under transformers' CLIPTextModel names, without their
 * `text_model.` prefix (hub files written before transformers 5 carry it, later ones do not).
 *
 * SD 1.x checkpoints hold a Hugging Face CLIPTextModel already (`cond_stage_model.transformer.
 * text_model.*`). SD 2.x checkpoints hold OpenCLIP's text tower (`cond_stage_model.model.*`):
 * renamed parts, a fused q/k/v projection, and one block more than the model uses, since SD 2.x
 * conditions on the penultimate block's output (then ln_final); diffusers'
 * convert_open_clip_checkpoint drops it the same way.
 */
import type { Translate } from './checkpoint-keys.ts';

export const HF_CLIP_PREFIX = 'cond_stage_model.transformer.text_model.';
export const OPEN_CLIP_PREFIX = 'cond_stage_model.model.';

const HF_CLIP_PARAMETER =
  /^(?:embeddings\.(?:token|position)_embedding\.weight|encoder\.layers\.\d+\.(?:layer_norm[12]|self_attn\.[qkv]_proj|self_attn\.out_proj|mlp\.fc[12])\.(?:weight|bias)|final_layer_norm\.(?:weight|bias))$/;

/** SD 1.x: the names are transformers' own. */
export const hfClipNames: Translate = (key) => {
  const local = key.slice(HF_CLIP_PREFIX.length);
  return key.startsWith(HF_CLIP_PREFIX) && HF_CLIP_PARAMETER.test(local)
    ? [[local, { key }]]
    : undefined;
};

/** OpenCLIP block parts → CLIP encoder layer parts; a Map so a hostile key finds no prototype. */
const OPEN_CLIP_BLOCK: ReadonlyMap<string, string> = new Map(
  Object.entries({
    'ln_1.weight': 'layer_norm1.weight',
    'ln_1.bias': 'layer_norm1.bias',
    'ln_2.weight': 'layer_norm2.weight',
    'ln_2.bias': 'layer_norm2.bias',
    'attn.out_proj.weight': 'self_attn.out_proj.weight',
    'attn.out_proj.bias': 'self_attn.out_proj.bias',
    'mlp.c_fc.weight': 'mlp.fc1.weight',
    'mlp.c_fc.bias': 'mlp.fc1.bias',
    'mlp.c_proj.weight': 'mlp.fc2.weight',
    'mlp.c_proj.bias': 'mlp.fc2.bias',
  }),
);

const OPEN_CLIP_TOP: ReadonlyMap<string, string> = new Map(
  Object.entries({
    'token_embedding.weight': 'embeddings.token_embedding.weight',
    // A bare nn.Parameter in OpenCLIP, hence no `.weight`.
    positional_embedding: 'embeddings.position_embedding.weight',
    'ln_final.weight': 'final_layer_norm.weight',
    'ln_final.bias': 'final_layer_norm.bias',
  }),
);

/**
 * SD 2.x: `keys` are the checkpoint's keys, from which the last block is found: its keys are known
 * and translate to no names.
 */
export function openClipNames(keys: readonly string[]): Translate {
  const last = keys.reduce((highest, k) => {
    const index = /^cond_stage_model\.model\.transformer\.resblocks\.(\d+)\./.exec(k)?.[1];
    return index === undefined ? highest : Math.max(highest, Number(index));
  }, -1);
  return (key) => {
    if (!key.startsWith(OPEN_CLIP_PREFIX)) return undefined;
    const local = key.slice(OPEN_CLIP_PREFIX.length);
    const top = OPEN_CLIP_TOP.get(local);
    if (top) return [[top, { key }]];
    const block = /^transformer\.resblocks\.(\d+)\.(.+)$/.exec(local);
    if (!block) return undefined;
    const [, index, part] = block as unknown as [string, string, string];
    const at = `encoder.layers.${index}`;
    const renamed = OPEN_CLIP_BLOCK.get(part);
    const fused = /^attn\.in_proj_(weight|bias)$/.exec(part)?.[1];
    if ((renamed || fused) && Number(index) === last) return [];
    if (fused) {
      return (['q', 'k', 'v'] as const).map((projection, third) => [
        `${at}.self_attn.${projection}_proj.${fused}`,
        { key, third: third as 0 | 1 | 2 },
      ]);
    }
    return renamed === undefined ? undefined : [[`${at}.${renamed}`, { key }]];
  };
}
