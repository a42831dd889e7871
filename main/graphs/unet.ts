/**
 * diffusers' UNet2DConditionModel as an ONNX graph, built from its weights as unet/config.json
 * describes it, with the I/O Optimum exports: sample, timestep (float [B]), encoder_hidden_states
 * (+ timestep_cond for LCM) → out_sample.
 */
import type { BuildOptions } from './build-options.ts';
import { ComponentGraph, DIMS } from './component-graph.ts';
import type { FullBlocks } from './full-blocks.ts';
import type { GraphBuilder, Value } from './onnx-graph.ts';
import type { UnetConfig } from './unet-config.ts';
import type { WeightSource } from '../weights/weight-source.ts';

export function buildUnet(
  config: UnetConfig,
  weights: WeightSource,
  options: BuildOptions = {},
): GraphBuilder {
  const graph = new ComponentGraph('unet', weights, options, inUnetBlocks);
  const { g, nn } = graph;
  const widths = config.blockOutChannels;
  const last = widths.length - 1;
  const norm = { groups: config.normNumGroups, eps: config.normEps };

  const sample = graph.input('sample', [DIMS.batch, config.inChannels, DIMS.height, DIMS.width]);
  // The timestep stays float32 into the sinusoids, as diffusers computes them before casting.
  const timestep = g.input('timestep', 'float32', [DIMS.steps]);
  const context = graph.input('encoder_hidden_states', [
    DIMS.batch,
    DIMS.sequence,
    config.crossAttentionDim,
  ]);
  const cond =
    config.timeCondProjDim === null
      ? undefined
      : graph.input('timestep_cond', [DIMS.batch, config.timeCondProjDim]);

  // 1. time: every ResnetBlock2D applies silu to the embedding before its time_emb_proj.
  const time = {
    embedding: nn.silu(timeEmbedding(nn, config, timestep, cond)),
    dim: config.timeEmbeddingDim,
  };
  const transformer = (x: Value, name: string, channels: number, heads: number): Value =>
    nn.transformer(x, context, name, {
      channels,
      contextDim: config.crossAttentionDim,
      heads,
      groups: config.normNumGroups,
      linearProjection: config.useLinearProjection,
      upcast: config.upcastAttention,
    });

  // 2. conv_in
  let h = nn.conv2d(sample, 'conv_in', config.inChannels, widths[0]!, {
    kernel: config.convInKernel,
  });

  // 3. down: every resnet/transformer output and every downsample is a skip for the up path.
  const skips: { value: Value; channels: number }[] = [{ value: h, channels: widths[0]! }];
  let channels = widths[0]!;
  config.downBlockTypes.forEach((type, b) => {
    const out = widths[b]!;
    for (let i = 0; i < config.layersPerBlock[b]!; i++) {
      h = nn.resnet(h, `down_blocks.${b}.resnets.${i}`, channels, out, { time, norm });
      channels = out;
      if (type === 'CrossAttnDownBlock2D') {
        h = transformer(h, `down_blocks.${b}.attentions.${i}`, out, config.attentionHeads[b]!);
      }
      skips.push({ value: h, channels });
    }
    if (b < last) {
      h = nn.conv2d(h, `down_blocks.${b}.downsamplers.0.conv`, out, out, { stride: 2 });
      skips.push({ value: h, channels });
    }
  });

  // 4. mid: UNetMidBlock2DCrossAttn is resnet, transformer, resnet; UNetMidBlock2D one resnet.
  if (config.midBlockType !== null) {
    h = nn.resnet(h, 'mid_block.resnets.0', channels, channels, { time, norm });
    if (config.midBlockType === 'UNetMidBlock2DCrossAttn') {
      h = transformer(h, 'mid_block.attentions.0', channels, config.attentionHeads[last]!);
      h = nn.resnet(h, 'mid_block.resnets.1', channels, channels, { time, norm });
    }
  }

  // 5. up: the blocks in reverse, one more resnet each, each resnet eating one skip.
  config.upBlockTypes.forEach((type, u) => {
    const b = last - u;
    const out = widths[b]!;
    for (let i = 0; i <= config.layersPerBlock[b]!; i++) {
      const skip = skips.pop()!;
      h = nn.resnet(
        g.concat([h, skip.value], 1),
        `up_blocks.${u}.resnets.${i}`,
        channels + skip.channels,
        out,
        { time, norm },
      );
      channels = out;
      if (type === 'CrossAttnUpBlock2D') {
        h = transformer(h, `up_blocks.${u}.attentions.${i}`, out, config.attentionHeads[b]!);
      }
    }
    if (u < last) {
      // To the next skip's size, as diffusers' forward_upsample_size does for odd latent sizes.
      const size = g.concat([g.shape(h, 0, 2), g.shape(skips.at(-1)!.value, 2, 4)], 0);
      h = nn.conv2d(g.resizeTo(h, size), `up_blocks.${u}.upsamplers.0.conv`, out, out);
    }
  });

  // 6. post-process
  h = nn.silu(nn.groupNorm(h, 'conv_norm_out', channels, norm.groups, norm.eps));
  h = nn.conv2d(h, 'conv_out', channels, config.outChannels, { kernel: config.convOutKernel });
  return graph.output(h, 'out_sample', [DIMS.batch, config.outChannels, DIMS.height, DIMS.width]);
}

/**
 * The layers kohya's sd-scripts trains (LoRA on Transformer2DModel, LoCon on ResnetBlock2D and
 * the samplers): everything in the down, mid and up blocks; not conv_in, conv_out or the time MLP.
 */
const inUnetBlocks = (layer: string): boolean => /^(down_blocks|mid_block|up_blocks)\./.test(layer);

/**
 * Timesteps (diffusers' get_timestep_embedding with downscale_freq_shift = freq_shift) then
 * TimestepEmbedding: [cond_proj(timestep_cond) +] linear_1, silu, linear_2.
 */
function timeEmbedding(
  nn: FullBlocks,
  config: UnetConfig,
  timestep: Value,
  cond: Value | undefined,
): Value {
  const g = nn.g;
  const width = config.blockOutChannels[0]!;
  const half = Math.floor(width / 2);
  const freqs = Array.from({ length: half }, (_, i) =>
    Math.exp((-Math.log(10000) * i) / (half - config.freqShift)),
  );
  const args = g.mul(
    g.reshape(timestep, [-1, 1]),
    g.constant('time_proj.freqs', 'float32', [1, half], freqs),
  );
  const [sin, cos] = [g.sin(args), g.cos(args)];
  let emb = nn.convert(
    g.concat(config.flipSinToCos ? [cos, sin] : [sin, cos], 1),
    'float32',
    g.floatType,
  );
  if (cond !== undefined) {
    const projected = nn.linear(
      cond,
      'time_embedding.cond_proj',
      config.timeCondProjDim!,
      width,
      1,
      false,
    );
    emb = g.add(emb, projected);
  }
  const dim = config.timeEmbeddingDim;
  const hidden = nn.linear(emb, 'time_embedding.linear_1', width, dim);
  return nn.linear(nn.silu(hidden), 'time_embedding.linear_2', dim, dim);
}
