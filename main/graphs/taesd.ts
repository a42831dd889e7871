/**
 * diffusers' AutoencoderTiny (TAESD) as two ONNX graphs with the engine's autoencoder I/O:
 * sample (pixels in [-1, 1]) → latent_sample, and latent_sample → sample in [-1, 1]. Its latents
 * need no scaling (scaling_factor 1.0). Layer names follow EncoderTiny's and DecoderTiny's
 * nn.Sequential, whose indices count the activations and upsamplers too.
 */
import type { BuildOptions } from './build-options.ts';
import { ComponentGraph, imageShape, latentShape } from './component-graph.ts';
import type { GraphBuilder } from './onnx-graph.ts';
import type { TaesdConfig } from './taesd-config.ts';
import type { WeightSource } from '../weights/weight-source.ts';

export function buildTaesdEncoder(
  config: TaesdConfig,
  weights: WeightSource,
  options: BuildOptions = {},
): GraphBuilder {
  const graph = new ComponentGraph('taesd_encoder', weights, options);
  const { g, nn } = graph;
  const widths = config.encoderBlockOutChannels;
  const sample = graph.input('sample', imageShape(config.inChannels));
  // EncoderTiny takes [-1, 1] to TAESD's own [0, 1].
  let h = g.add(g.mul(sample, g.scalar(0.5)), g.scalar(0.5));
  let layer = 0;
  config.numEncoderBlocks.forEach((blocks, stage) => {
    const c = widths[stage]!;
    h =
      stage === 0
        ? nn.conv2d(h, `encoder.layers.${layer++}`, config.inChannels, c)
        : nn.conv2d(h, `encoder.layers.${layer++}`, c, c, { stride: 2, bias: false });
    for (let i = 0; i < blocks; i++) h = nn.taesdBlock(h, `encoder.layers.${layer++}`, c);
  });
  h = nn.conv2d(h, `encoder.layers.${layer}`, widths.at(-1)!, config.latentChannels);
  return graph.output(h, 'latent_sample', latentShape(config.latentChannels));
}

export function buildTaesdDecoder(
  config: TaesdConfig,
  weights: WeightSource,
  options: BuildOptions = {},
): GraphBuilder {
  const graph = new ComponentGraph('taesd_decoder', weights, options);
  const { g, nn } = graph;
  const widths = config.decoderBlockOutChannels;
  const latent = graph.input('latent_sample', latentShape(config.latentChannels));
  // DecoderTiny's clamp: tanh(x / 3) · 3 bounds the latents softly.
  let h = g.mul(g.tanh(g.mul(latent, g.scalar(1 / 3))), g.scalar(3));
  h = g.op('Relu', [nn.conv2d(h, 'decoder.layers.0', config.latentChannels, widths[0]!)]);
  let layer = 2;
  const last = config.numDecoderBlocks.length - 1;
  config.numDecoderBlocks.forEach((blocks, stage) => {
    const c = widths[stage]!;
    for (let i = 0; i < blocks; i++) h = nn.taesdBlock(h, `decoder.layers.${layer++}`, c);
    if (stage < last) {
      h = g.upsample(h, config.upsamplingScalingFactor);
      layer++;
    }
    // The last stage's conv has a bias and gives the pixels; the others neither.
    h =
      stage < last
        ? nn.conv2d(h, `decoder.layers.${layer++}`, c, c, { bias: false })
        : nn.conv2d(h, `decoder.layers.${layer++}`, c, config.outChannels);
  });
  // DecoderTiny's [0, 1] back to diffusers' [-1, 1].
  h = g.add(g.mul(h, g.scalar(2)), g.scalar(-1));
  return graph.output(h, 'sample', imageShape(config.outChannels));
}
