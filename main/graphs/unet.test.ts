import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { int8Weights } from '../models/int8-kernel.ts';
import type { BuildOptions } from './build-options.ts';
import { ModelConfigError } from './config-reader.ts';
import {
  readReferenceF32,
  REFERENCE_DIR,
  referenceCases,
  relativeL2,
  runBase,
  sessionFrom,
} from '../testing/graphs/reference.ts';
import { parseUnetConfig, type UnetConfig } from './unet-config.ts';
import { buildUnet } from './unet.ts';
import { SafetensorsFile } from '../weights/safetensors.ts';
import { safetensorsWeights, type WeightSource } from '../weights/weight-source.ts';

/** int8 builds use this CPU's weight limit, as the importer does. */
const int8Layers = await int8Weights();

type Model = 'sd1-tiny' | 'sd2-tiny';

function unetFolder(model: Model): { json: Record<string, unknown>; weights: WeightSource } {
  const dir = path.join(REFERENCE_DIR, model, 'diffusers', 'unet');
  const json = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));
  const file = SafetensorsFile.open(path.join(dir, 'diffusion_pytorch_model.safetensors'));
  return { json, weights: safetensorsWeights([file]) };
}

/** The reference inputs: batch 2, timesteps 999 and 250. */
function referenceFeeds(model: Model): Record<string, ort.Tensor> {
  const shapes = referenceCases(model).shapes;
  return {
    sample: new ort.Tensor(
      'float32',
      readReferenceF32(model, 'unet.sample.f32'),
      shapes['unet.sample'],
    ),
    timestep: new ort.Tensor(
      'float32',
      Float32Array.from(referenceCases(model).unet_timesteps),
      [2],
    ),
    encoder_hidden_states: new ort.Tensor(
      'float32',
      readReferenceF32(model, 'unet.encoder_hidden_states.f32'),
      shapes['unet.encoder_hidden_states'],
    ),
  };
}

async function run(
  config: UnetConfig,
  weights: WeightSource,
  feeds: Record<string, ort.Tensor>,
  options?: BuildOptions,
): Promise<Float32Array> {
  const session = await sessionFrom(buildUnet(config, weights, options));
  return (await runBase(session, feeds)).out_sample!.data as Float32Array;
}

describe('buildUnet', () => {
  for (const model of ['sd1-tiny', 'sd2-tiny'] as const) {
    it(`${model}: gives diffusers' UNet2DConditionModel output, in fp32, fp16 and int8`, async () => {
      const { json, weights } = unetFolder(model);
      const config = parseUnetConfig(json);
      const expected = readReferenceF32(model, 'unet.out.f32');
      const feeds = referenceFeeds(model);
      const fp32 = relativeL2(await run(config, weights, feeds), expected);
      const fp16 = relativeL2(
        await run(config, weights, feeds, { floatType: 'float16' }),
        expected,
      );
      const int8 = relativeL2(
        await run(config, weights, feeds, { quantized: int8Layers }),
        expected,
      );
      console.log(`${model} unet relative L2: fp32 ${fp32}, fp16 ${fp16}, int8 ${int8}`);
      assert.ok(fp32 <= 1e-4, `fp32 ${fp32}`);
      assert.ok(fp16 <= 1e-2, `fp16 ${fp16}`);
      assert.ok(int8 <= 0.05, `int8 ${int8}`);
    });
  }

  it("upcast_attention runs a float16 graph's attention softmax in float32", async () => {
    const { json, weights } = unetFolder('sd2-tiny');
    const config = parseUnetConfig({ ...json, upcast_attention: true });
    const options = { floatType: 'float16' } as const;
    const out = await run(config, weights, referenceFeeds('sd2-tiny'), options);
    const error = relativeL2(out, readReferenceF32('sd2-tiny', 'unet.out.f32'));
    console.log(`sd2-tiny unet fp16 upcast_attention relative L2: ${error}`);
    assert.ok(error <= 1e-2, `${error}`);
  });

  it("an LCM config's timestep_cond enters through time_embedding.cond_proj", async () => {
    const { json, weights } = unetFolder('sd1-tiny');
    const config = parseUnetConfig({ ...json, time_cond_proj_dim: 16 });
    const withCondProj = (value: number): WeightSource => ({
      has: (name) => name === 'time_embedding.cond_proj.weight' || weights.has(name),
      tensor: (name, shape) =>
        name === 'time_embedding.cond_proj.weight'
          ? new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(value)
          : weights.tensor(name, shape),
    });
    const feeds = {
      ...referenceFeeds('sd1-tiny'),
      timestep_cond: new ort.Tensor('float32', new Float32Array(32).fill(0.5), [2, 16]),
    };
    const expected = readReferenceF32('sd1-tiny', 'unet.out.f32');
    assert.ok(relativeL2(await run(config, withCondProj(0), feeds), expected) <= 1e-4);
    assert.ok(relativeL2(await run(config, withCondProj(0.1), feeds), expected) > 1e-2);
  });

  it('builds a distilled UNet without a mid block (mid_block_type null)', async () => {
    const { json, weights } = unetFolder('sd1-tiny');
    const config = parseUnetConfig({ ...json, mid_block_type: null });
    const out = await run(config, weights, referenceFeeds('sd1-tiny'));
    assert.equal(out.length, 2 * 4 * 8 * 8);
    assert.ok(out.every(Number.isFinite));
  });

  it('refuses, by key, the options it does not implement', () => {
    const { json } = unetFolder('sd1-tiny');
    for (const [key, value] of [
      ['class_embed_type', 'timestep'],
      ['addition_embed_type', 'text_time'],
      ['dual_cross_attention', true],
      ['resnet_time_scale_shift', 'scale_shift'],
      ['transformer_layers_per_block', 2],
      ['down_block_types', ['SimpleCrossAttnDownBlock2D', 'DownBlock2D']],
      ['mid_block_type', 'UNetMidBlock2DSimpleCrossAttn'],
      ['num_attention_heads', 8],
    ] as const) {
      assert.throws(
        () => parseUnetConfig({ ...json, [key]: value }),
        (error: unknown) => error instanceof ModelConfigError && error.message.includes(key),
        key,
      );
    }
  });
});
