/**
 * diffusers' AutoencoderKL as two ONNX graphs, built from its weights as vae/config.json describes
 * it, with the I/O Optimum exports: the encoder's image in [-1, 1] → latent_parameters (quant_conv's
 * mean ‖ logvar, which the engine samples with its own seeded generator), and the decoder's
 * unscaled latents (what AutoencoderKL.decode takes) → image in [-1, 1].
 */
import type { BuildOptions } from './build-options.ts';
import { ComponentGraph, imageShape, latentShape } from './component-graph.ts';
import type { FullBlocks, NormOptions } from './full-blocks.ts';
import type { GraphBuilder, Value } from './onnx-graph.ts';
import type { VaeConfig } from './vae-config.ts';
import type { WeightSource } from '../weights/weight-source.ts';

/** Encoder's and Decoder's GroupNorms: the config's groups, resnet_eps hard-coded to 1e-6. */
const normOf = (config: VaeConfig): NormOptions => ({ groups: config.normNumGroups, eps: 1e-6 });

export function buildVaeEncoder(
  config: VaeConfig,
  weights: WeightSource,
  options: BuildOptions = {},
): GraphBuilder {
  const graph = new ComponentGraph('vae_encoder', weights, options);
  const { g, nn } = graph;
  const norm = normOf(config);
  const widths = config.blockOutChannels;
  const moments = 2 * config.latentChannels;

  const sample = graph.input('sample', imageShape(config.inChannels));
  let h = nn.conv2d(sample, 'encoder.conv_in', config.inChannels, widths[0]!);
  let channels = widths[0]!;
  widths.forEach((out, b) => {
    for (let i = 0; i < config.layersPerBlock; i++) {
      h = nn.resnet(h, `encoder.down_blocks.${b}.resnets.${i}`, channels, out, { norm });
      channels = out;
    }
    if (b < widths.length - 1) {
      // Downsample2D(padding=0): F.pad (0, 1, 0, 1), then an unpadded stride-2 conv.
      const padded = g.op('Pad', [h, g.int64s([0, 0, 0, 0, 0, 0, 1, 1])]);
      h = nn.conv2d(padded, `encoder.down_blocks.${b}.downsamplers.0.conv`, out, out, {
        stride: 2,
        pad: 0,
      });
    }
  });
  h = midBlock(nn, config, h, 'encoder.mid_block', channels);
  h = nn.silu(nn.groupNorm(h, 'encoder.conv_norm_out', channels, norm.groups, norm.eps));
  h = nn.conv2d(h, 'encoder.conv_out', channels, moments);
  if (config.useQuantConv) h = nn.conv2d(h, 'quant_conv', moments, moments, { kernel: 1 });
  return graph.output(h, 'latent_parameters', latentShape(moments));
}

export function buildVaeDecoder(
  config: VaeConfig,
  weights: WeightSource,
  options: BuildOptions = {},
): GraphBuilder {
  const graph = new ComponentGraph('vae_decoder', weights, options);
  const { g, nn } = graph;
  const norm = normOf(config);
  const widths = [...config.blockOutChannels].reverse();
  const latents = config.latentChannels;

  let h = graph.input('latent_sample', latentShape(latents));
  if (config.usePostQuantConv) {
    h = nn.conv2d(h, 'post_quant_conv', latents, latents, { kernel: 1 });
  }
  let channels = widths[0]!;
  h = nn.conv2d(h, 'decoder.conv_in', latents, channels);
  h = midBlock(nn, config, h, 'decoder.mid_block', channels);
  widths.forEach((out, b) => {
    for (let i = 0; i <= config.layersPerBlock; i++) {
      h = nn.resnet(h, `decoder.up_blocks.${b}.resnets.${i}`, channels, out, { norm });
      channels = out;
    }
    if (b < widths.length - 1) {
      h = nn.conv2d(g.upsample(h, 2), `decoder.up_blocks.${b}.upsamplers.0.conv`, out, out);
    }
  });
  h = nn.silu(nn.groupNorm(h, 'decoder.conv_norm_out', channels, norm.groups, norm.eps));
  h = nn.conv2d(h, 'decoder.conv_out', channels, config.outChannels);
  return graph.output(h, 'sample', imageShape(config.outChannels));
}

/** UNetMidBlock2D without a time embedding: resnet, [attention,] resnet. */
function midBlock(
  nn: FullBlocks,
  config: VaeConfig,
  x: Value,
  name: string,
  channels: number,
): Value {
  const norm = normOf(config);
  let h = nn.resnet(x, `${name}.resnets.0`, channels, channels, { norm });
  if (config.midBlockAddAttention) h = nn.vaeAttention(h, `${name}.attentions.0`, channels, norm);
  return nn.resnet(h, `${name}.resnets.1`, channels, channels, { norm });
}
