/**
 * unet/config.json (diffusers' UNet2DConditionModel), resolved with the class's defaults into what
 * the UNet builder implements: SD 1.x, SD 2.x / SD-Turbo, LCM and block-removed distillations.
 */
import { ConfigReader, ModelConfigError } from './config-reader.ts';

export type DownBlockType = 'CrossAttnDownBlock2D' | 'DownBlock2D';
export type UpBlockType = 'CrossAttnUpBlock2D' | 'UpBlock2D';
export type MidBlockType = 'UNetMidBlock2DCrossAttn' | 'UNetMidBlock2D';

export interface UnetConfig {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly blockOutChannels: readonly number[];
  readonly downBlockTypes: readonly DownBlockType[];
  readonly upBlockTypes: readonly UpBlockType[];
  /** null: no mid block (BK-SDM's distilled UNets). */
  readonly midBlockType: MidBlockType | null;
  /** Resnets per down block (an up block has one more). */
  readonly layersPerBlock: readonly number[];
  /**
   * Attention heads per down block. diffusers' config calls this attention_head_dim: a naming
   * mistake it keeps for compatibility (SD 1.x's 8 is 8 heads; SD 2.x's [5, 10, 20, 20] is heads
   * of 64 channels), so the head width is the block's channels / heads.
   */
  readonly attentionHeads: readonly number[];
  readonly crossAttentionDim: number;
  /** Transformer2DModel's proj_in/proj_out: linear (SD 2.x) or 1x1 conv (SD 1.x). */
  readonly useLinearProjection: boolean;
  readonly normNumGroups: number;
  readonly normEps: number;
  readonly flipSinToCos: boolean;
  readonly freqShift: number;
  readonly timeEmbeddingDim: number;
  /** LCM's guidance-embedding width: the `timestep_cond` input through time_embedding.cond_proj. */
  readonly timeCondProjDim: number | null;
  readonly convInKernel: number;
  readonly convOutKernel: number;
  /** Attention scores and softmax in float32 (SD 2.1-768 overflows float16 without it). */
  readonly upcastAttention: boolean;
}

const FILE = 'unet/config.json';

/** `json` as diffusers reads it; throws ModelConfigError naming any key we do not implement. */
export function parseUnetConfig(json: unknown): UnetConfig {
  const c = new ConfigReader(json, FILE);
  // Options that change the graph in ways the builder does not implement: refused, not ignored.
  c.only('center_input_sample', false);
  c.only('act_fn', 'silu');
  c.only('class_embed_type', null);
  c.only('num_class_embeds', null);
  c.only('addition_embed_type', null);
  c.only('encoder_hid_dim', null);
  c.only('encoder_hid_dim_type', null);
  c.only('dual_cross_attention', false);
  c.only('attention_type', 'default');
  c.only('cross_attention_norm', null);
  c.only('resnet_time_scale_shift', 'default');
  c.only('resnet_skip_time_act', false);
  c.only('resnet_out_scale_factor', 1);
  c.only('mid_block_scale_factor', 1);
  c.only('time_embedding_type', 'positional');
  c.only('time_embedding_act_fn', null);
  c.only('timestep_post_act', null);
  c.only('downsample_padding', 1);
  c.only('reverse_transformer_layers_per_block', null);
  // diffusers itself refuses num_attention_heads (its issue #2011); attention_head_dim holds them.
  c.only('num_attention_heads', null);

  const blockOutChannels = c.numbers('block_out_channels', [320, 640, 1280, 1280]);
  const blocks = blockOutChannels.length;
  const downBlockTypes = c.names<DownBlockType>(
    'down_block_types',
    ['CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'DownBlock2D'],
    ['CrossAttnDownBlock2D', 'DownBlock2D'],
  );
  const upBlockTypes = c.names<UpBlockType>(
    'up_block_types',
    ['UpBlock2D', 'CrossAttnUpBlock2D', 'CrossAttnUpBlock2D', 'CrossAttnUpBlock2D'],
    ['CrossAttnUpBlock2D', 'UpBlock2D'],
  );
  if (downBlockTypes.length !== blocks || upBlockTypes.length !== blocks) {
    throw new ModelConfigError(
      `${FILE}: ${blocks} block_out_channels, ${downBlockTypes.length} down_block_types, ` +
        `${upBlockTypes.length} up_block_types; they must match`,
    );
  }
  if (c.perBlock('transformer_layers_per_block', 1, blocks).some((n) => n !== 1)) {
    c.only('transformer_layers_per_block', 1);
  }
  // only_cross_attention drops attn1's self-attention; false for every block is the default.
  c.oneOf<boolean | boolean[]>('only_cross_attention', false, [
    false,
    new Array<boolean>(blocks).fill(false),
  ]);
  const midBlockType = c.oneOf<MidBlockType | null>('mid_block_type', 'UNetMidBlock2DCrossAttn', [
    'UNetMidBlock2DCrossAttn',
    'UNetMidBlock2D',
    null,
  ]);
  // diffusers pads (kernel - 1) / 2: only an odd kernel keeps the latent's size.
  const convInKernel = c.oneOf('conv_in_kernel', 3, [1, 3, 5, 7]);
  const convOutKernel = c.oneOf('conv_out_kernel', 3, [1, 3, 5, 7]);
  return {
    inChannels: c.number('in_channels', 4),
    outChannels: c.number('out_channels', 4),
    blockOutChannels,
    downBlockTypes,
    upBlockTypes,
    midBlockType,
    layersPerBlock: c.perBlock('layers_per_block', 2, blocks),
    attentionHeads: c.perBlock('attention_head_dim', 8, blocks),
    crossAttentionDim: c.number('cross_attention_dim', 1280),
    useLinearProjection: c.boolean('use_linear_projection', false),
    normNumGroups: c.number('norm_num_groups', 32),
    normEps: c.number('norm_eps', 1e-5),
    flipSinToCos: c.boolean('flip_sin_to_cos', true),
    freqShift: c.number('freq_shift', 0),
    timeEmbeddingDim: c.optionalNumber('time_embedding_dim') ?? 4 * blockOutChannels[0]!,
    timeCondProjDim: c.optionalNumber('time_cond_proj_dim'),
    convInKernel,
    convOutKernel,
    upcastAttention: c.boolean('upcast_attention', false),
  };
}
