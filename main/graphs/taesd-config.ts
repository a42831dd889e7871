/**
 * taesd/config.json (diffusers' AutoencoderTiny, as madebyollin/taesd ships it), resolved with the
 * class's defaults. latent_magnitude/latent_shift only matter to scale_latents (a training aid)
 * and scaling_factor to the pipeline, so they are not read here.
 */
import { ConfigReader, ModelConfigError } from './config-reader.ts';

const FILE = 'taesd/config.json';

export interface TaesdConfig {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly latentChannels: number;
  readonly encoderBlockOutChannels: readonly number[];
  readonly decoderBlockOutChannels: readonly number[];
  /** AutoencoderTinyBlocks per stage. */
  readonly numEncoderBlocks: readonly number[];
  readonly numDecoderBlocks: readonly number[];
  readonly upsamplingScalingFactor: number;
}

/** `json` as diffusers reads it; throws ModelConfigError naming any key we do not implement. */
export function parseTaesdConfig(json: unknown): TaesdConfig {
  const c = new ConfigReader(json, FILE);
  c.only('act_fn', 'relu');
  c.only('upsample_fn', 'nearest');
  const config: TaesdConfig = {
    inChannels: c.number('in_channels', 3),
    outChannels: c.number('out_channels', 3),
    latentChannels: c.number('latent_channels', 4),
    encoderBlockOutChannels: c.numbers('encoder_block_out_channels', [64, 64, 64, 64]),
    decoderBlockOutChannels: c.numbers('decoder_block_out_channels', [64, 64, 64, 64]),
    numEncoderBlocks: c.numbers('num_encoder_blocks', [1, 3, 3, 3]),
    numDecoderBlocks: c.numbers('num_decoder_blocks', [3, 3, 3, 1]),
    upsamplingScalingFactor: c.number('upsampling_scaling_factor', 2),
  };
  if (config.encoderBlockOutChannels.length !== config.numEncoderBlocks.length) {
    throw new ModelConfigError(
      `${FILE}: encoder_block_out_channels and num_encoder_blocks differ in length`,
    );
  }
  if (config.decoderBlockOutChannels.length !== config.numDecoderBlocks.length) {
    throw new ModelConfigError(
      `${FILE}: decoder_block_out_channels and num_decoder_blocks differ in length`,
    );
  }
  return config;
}
