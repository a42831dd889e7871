/**
 * The UNet of an LDM (CompVis) checkpoint, `model.diffusion_model.*`, under diffusers'
 * UNet2DConditionModel names. LDM numbers its blocks in one flat sequence per side (input_blocks:
 * conv_in, then per level `layers_per_block` resnet(+attention) slots and a downsampler slot;
 * output_blocks: per level `layers_per_block + 1` slots, the last with the upsampler); diffusers
 * nests them per level. The index arithmetic is diffusers' convert_ldm_unet_checkpoint's.
 */
import { SafetensorsError } from './safetensors.ts';

export const LDM_UNET_PREFIX = 'model.diffusion_model.';

/**
 * The UNet's modules (without the prefix) that keep their place and change their name. Maps, not
 * objects: a hostile key must not find `constructor` on a prototype.
 */
const FIXED: ReadonlyMap<string, string> = new Map(
  Object.entries({
    'time_embed.0': 'time_embedding.linear_1',
    'time_embed.2': 'time_embedding.linear_2',
    'input_blocks.0.0': 'conv_in',
    'out.0': 'conv_norm_out',
    'out.2': 'conv_out',
  }),
);

/** LDM ResBlock parts → diffusers ResnetBlock2D parts. */
const RESNET: ReadonlyMap<string, string> = new Map(
  Object.entries({
    'in_layers.0': 'norm1',
    'in_layers.2': 'conv1',
    'out_layers.0': 'norm2',
    'out_layers.3': 'conv2',
    'emb_layers.1': 'time_emb_proj',
    skip_connection: 'conv_shortcut',
  }),
);

/** A SpatialTransformer's parameters, named alike in both layouts. */
const TRANSFORMER =
  /^(?:(?:norm|proj_in|proj_out)|transformer_blocks\.\d+\.(?:attn[12]\.to_out\.0|ff\.net\.0\.proj|ff\.net\.2|norm[123]))\.(?:weight|bias)$|^transformer_blocks\.\d+\.attn[12]\.to_[qkv]\.weight$/;

const PARAM = /^(.+)\.(weight|bias)$/;

/**
 * A translator from the UNet's checkpoint keys (prefix included) to diffusers names: undefined for
 * a key the layout has no place for. `keys` are the checkpoint's keys, from which the number of
 * resnets per level is counted; refuses (naming `file`) blocks that do not form LDM's layout.
 */
export function ldmUnetNames(
  keys: readonly string[],
  file: string,
): (key: string) => string | undefined {
  const distinct = (pattern: RegExp) =>
    new Set(
      keys.flatMap((k) =>
        k.startsWith(LDM_UNET_PREFIX)
          ? (pattern.exec(k.slice(LDM_UNET_PREFIX.length))?.[1] ?? [])
          : [],
      ),
    ).size;
  const inputs = distinct(/^input_blocks\.(\d+)\./);
  const outputs = distinct(/^output_blocks\.(\d+)\./);
  const levels = distinct(/^input_blocks\.(\d+)\.0\.op\./) + 1;
  // Per level: layers_per_block resnet slots and a downsampler slot on the input side (conv_in
  // standing in for the last level's downsampler), layers_per_block + 1 slots on the output side.
  const perLevel = outputs / levels;
  if (!Number.isInteger(perLevel) || perLevel < 2 || inputs !== outputs) {
    throw new SafetensorsError(
      file,
      `its UNet's ${inputs} input and ${outputs} output blocks do not split into equal levels around its ${levels - 1} downsamplers`,
    );
  }
  const layersPerBlock = perLevel - 1;

  const resnet = (part: string, at: string) => {
    const [, module, kind] = PARAM.exec(part) ?? [];
    const renamed = module && RESNET.get(module);
    return renamed ? `${at}.${renamed}.${kind}` : undefined;
  };
  const transformer = (part: string, at: string) =>
    TRANSFORMER.test(part) ? `${at}.${part}` : undefined;

  return (key) => {
    if (!key.startsWith(LDM_UNET_PREFIX)) return undefined;
    const local = key.slice(LDM_UNET_PREFIX.length);
    const [, module, kind] = PARAM.exec(local) ?? [];
    const fixed = module && FIXED.get(module);
    if (fixed) return `${fixed}.${kind}`;

    const middle = /^middle_block\.(\d+)\.(.+)$/.exec(local);
    if (middle) {
      const [, index, part] = middle as unknown as [string, string, string];
      if (index === '0' || index === '2') return resnet(part, `mid_block.resnets.${+index / 2}`);
      return index === '1' ? transformer(part, 'mid_block.attentions.0') : undefined;
    }
    const block = /^(input_blocks|output_blocks)\.(\d+)\.(\d+)\.(.+)$/.exec(local);
    if (!block) return undefined;
    const [, side, index, layer, part] = block as unknown as [
      string,
      string,
      string,
      string,
      string,
    ];
    const i = Number(index);
    if (side === 'input_blocks') {
      if (i === 0) return undefined; // conv_in, handled above: anything else is foreign
      const level = Math.floor((i - 1) / perLevel);
      const slot = (i - 1) % perLevel;
      const at = `down_blocks.${level}`;
      if (slot === layersPerBlock) {
        return layer === '0' && /^op\.(weight|bias)$/.test(part)
          ? `${at}.downsamplers.0.conv.${part.slice(3)}`
          : undefined;
      }
      if (layer === '0') return resnet(part, `${at}.resnets.${slot}`);
      return layer === '1' ? transformer(part, `${at}.attentions.${slot}`) : undefined;
    }
    const level = Math.floor(i / perLevel);
    const slot = i % perLevel;
    const at = `up_blocks.${level}`;
    if (layer === '0') return resnet(part, `${at}.resnets.${slot}`);
    // The upsampler follows the level's last resnet, after its attention when it has one.
    const upsampler = /^conv\.(weight|bias)$/.test(part) && slot === layersPerBlock;
    if (upsampler && (layer === '1' || layer === '2')) return `${at}.upsamplers.0.${part}`;
    return layer === '1' ? transformer(part, `${at}.attentions.${slot}`) : undefined;
  };
}
