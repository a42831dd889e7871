/**
 * The autoencoder of an LDM checkpoint, `first_stage_model.*`, under diffusers' AutoencoderKL
 * names (diffusers' convert_ldm_vae_checkpoint). The one renumbering: LDM's decoder counts its
 * `up` levels from the lowest resolution's end (up.0 runs last), diffusers' up_blocks in the order
 * they run. The mid-block attention's q/k/v/proj_out are 1x1 convolutions ([C, C, 1, 1]) where
 * diffusers has linear layers ([C, C]): the same numbers, read through WeightSource's squeezing.
 */

export const LDM_VAE_PREFIX = 'first_stage_model.';

/** LDM ResnetBlock parts → diffusers ResnetBlock2D parts. */
const RESNET = /^(norm1|norm2|conv1|conv2|nin_shortcut)\.(weight|bias)$/;

/** Mid-block attention parts; a Map so a hostile key finds nothing on a prototype. */
const ATTENTION: ReadonlyMap<string, string> = new Map(
  Object.entries({
    norm: 'group_norm',
    q: 'to_q',
    k: 'to_k',
    v: 'to_v',
    proj_out: 'to_out.0',
  }),
);

/**
 * A translator from the VAE's checkpoint keys (prefix included) to diffusers names: undefined for a
 * key the layout has no place for. `keys` are the checkpoint's keys, from which the decoder's
 * levels are counted.
 */
export function ldmVaeNames(keys: readonly string[]): (key: string) => string | undefined {
  const upLevels = new Set(
    keys.flatMap((k) => /^first_stage_model\.decoder\.up\.(\d+)\./.exec(k)?.[1] ?? []),
  ).size;

  const resnet = (part: string, at: string) => {
    const match = RESNET.exec(part);
    if (!match) return undefined;
    return `${at}.${match[1] === 'nin_shortcut' ? 'conv_shortcut' : match[1]}.${match[2]}`;
  };

  return (key) => {
    if (!key.startsWith(LDM_VAE_PREFIX)) return undefined;
    const local = key.slice(LDM_VAE_PREFIX.length);
    if (/^(post_quant_conv|quant_conv|(en|de)coder\.conv_(in|out))\.(weight|bias)$/.test(local)) {
      return local;
    }
    const coder = /^(encoder|decoder)\.(.+)$/.exec(local);
    if (!coder) return undefined;
    const [, side, rest] = coder as unknown as [string, 'encoder' | 'decoder', string];

    const normOut = /^norm_out\.(weight|bias)$/.exec(rest);
    if (normOut) return `${side}.conv_norm_out.${normOut[1]}`;
    const midResnet = /^mid\.block_([12])\.(.+)$/.exec(rest);
    if (midResnet) return resnet(midResnet[2]!, `${side}.mid_block.resnets.${+midResnet[1]! - 1}`);
    const midAttention = /^mid\.attn_1\.(\w+)\.(weight|bias)$/.exec(rest);
    if (midAttention) {
      const renamed = ATTENTION.get(midAttention[1]!);
      return renamed && `${side}.mid_block.attentions.0.${renamed}.${midAttention[2]}`;
    }

    const level = /^(down|up)\.(\d+)\.(.+)$/.exec(rest);
    if (!level || (level[1] === 'down') !== (side === 'encoder')) return undefined;
    const [, , index, part] = level as unknown as [string, string, string, string];
    const at =
      side === 'encoder'
        ? `encoder.down_blocks.${index}`
        : `decoder.up_blocks.${upLevels - 1 - Number(index)}`;
    const block = /^block\.(\d+)\.(.+)$/.exec(part);
    if (block) return resnet(block[2]!, `${at}.resnets.${block[1]}`);
    const sampler = /^(downsample|upsample)\.conv\.(weight|bias)$/.exec(part);
    if (!sampler || (sampler[1] === 'downsample') !== (side === 'encoder')) return undefined;
    return `${at}.${side === 'encoder' ? 'downsamplers' : 'upsamplers'}.0.conv.${sampler[2]}`;
  };
}
