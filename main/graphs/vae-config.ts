/**
 * vae/config.json (diffusers' AutoencoderKL), resolved with the class's defaults. scaling_factor,
 * shift_factor and latents_mean/std are the pipeline's business (the engine scales latents), not
 * the graph's, so they are not read here.
 */
import { ConfigReader, ModelConfigError } from './config-reader.ts';

const FILE = 'vae/config.json';

export interface VaeConfig {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly latentChannels: number;
  /** The encoder's widths; the decoder takes them in reverse. */
  readonly blockOutChannels: readonly number[];
  /** Resnets per encoder block; a decoder block has one more. */
  readonly layersPerBlock: number;
  readonly normNumGroups: number;
  readonly useQuantConv: boolean;
  readonly usePostQuantConv: boolean;
  readonly midBlockAddAttention: boolean;
}

/** `json` as diffusers reads it; throws ModelConfigError naming any key we do not implement. */
export function parseVaeConfig(json: unknown): VaeConfig {
  const c = new ConfigReader(json, FILE);
  c.only('act_fn', 'silu');
  const blockOutChannels = c.numbers('block_out_channels', [64]);
  const blocks = blockOutChannels.length;
  const down = c.names('down_block_types', ['DownEncoderBlock2D'], ['DownEncoderBlock2D']);
  const up = c.names('up_block_types', ['UpDecoderBlock2D'], ['UpDecoderBlock2D']);
  if (down.length !== blocks || up.length !== blocks) {
    throw new ModelConfigError(
      `${FILE}: ${blocks} block_out_channels, ${down.length} down_block_types, ` +
        `${up.length} up_block_types; they must match`,
    );
  }
  return {
    inChannels: c.number('in_channels', 3),
    outChannels: c.number('out_channels', 3),
    latentChannels: c.number('latent_channels', 4),
    blockOutChannels,
    layersPerBlock: c.number('layers_per_block', 1),
    normNumGroups: c.number('norm_num_groups', 32),
    useQuantConv: c.boolean('use_quant_conv', true),
    usePostQuantConv: c.boolean('use_post_quant_conv', true),
    midBlockAddAttention: c.boolean('mid_block_add_attention', true),
  };
}
