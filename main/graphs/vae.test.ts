import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { int8Weights } from '../models/int8-kernel.ts';
import type { BuildOptions } from './build-options.ts';
import { ModelConfigError } from './config-reader.ts';
import type { GraphBuilder } from './onnx-graph.ts';
import {
  readReferenceF32,
  REFERENCE_DIR,
  relativeL2,
  sessionFrom,
} from '../testing/graphs/reference.ts';
import { parseVaeConfig, type VaeConfig } from './vae-config.ts';
import { buildVaeDecoder, buildVaeEncoder } from './vae.ts';
import { SafetensorsFile } from '../weights/safetensors.ts';
import { safetensorsWeights, type WeightSource } from '../weights/weight-source.ts';

/** int8 builds use this CPU's weight limit, as the importer does. */
const int8Layers = await int8Weights();

type Model = 'sd1-tiny' | 'sd2-tiny';
type Build = (config: VaeConfig, weights: WeightSource, options?: BuildOptions) => GraphBuilder;

function vaeFolder(model: Model): { json: Record<string, unknown>; weights: WeightSource } {
  const dir = path.join(REFERENCE_DIR, model, 'diffusers', 'vae');
  const json = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));
  const file = SafetensorsFile.open(path.join(dir, 'diffusion_pytorch_model.safetensors'));
  return { json, weights: safetensorsWeights([file]) };
}

/** image64.png as the reference fed it: RGB, NCHW, pixels / 127.5 − 1. */
async function referenceImage(model: Model): Promise<ort.Tensor> {
  const file = path.join(REFERENCE_DIR, model, 'reference', 'image64.png');
  const { data, info } = await sharp(file)
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const plane = info.width * info.height;
  const pixels = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) pixels[c * plane + i] = data[i * info.channels + c]! / 127.5 - 1;
  }
  return new ort.Tensor('float32', pixels, [1, 3, info.height, info.width]);
}

async function run(
  build: Build,
  model: Model,
  feeds: Record<string, ort.Tensor>,
  options?: BuildOptions,
): Promise<Float32Array> {
  const { json, weights } = vaeFolder(model);
  const session = await sessionFrom(build(parseVaeConfig(json), weights, options));
  return (await session.run(feeds))[session.outputNames[0]!]!.data as Float32Array;
}

/**
 * fp32 against diffusers' numbers; fp16 and int8 graphs from the same code, approximately. Per-tensor
 * dynamic uint8 activations through ~25 convs cost the VAE ~10% (which is why `models quantize`
 * leaves the VAE in float): the bound is that, not the UNet's few percent.
 */
async function assertMatches(
  label: string,
  actual: (options?: BuildOptions) => Promise<Float32Array>,
  expected: Float32Array,
): Promise<void> {
  const fp32 = relativeL2(await actual(), expected);
  const fp16 = relativeL2(await actual({ floatType: 'float16' }), expected);
  const int8 = relativeL2(await actual({ quantized: int8Layers }), expected);
  console.log(`${label} relative L2: fp32 ${fp32}, fp16 ${fp16}, int8 ${int8}`);
  assert.ok(fp32 <= 1e-4, `fp32 ${fp32}`);
  assert.ok(fp16 <= 1e-2, `fp16 ${fp16}`);
  assert.ok(int8 <= 0.15, `int8 ${int8}`);
}

describe('buildVaeEncoder / buildVaeDecoder', () => {
  for (const model of ['sd1-tiny', 'sd2-tiny'] as const) {
    it(`${model}: the encoder's latent_parameters hold diffusers' latent mean`, async () => {
      const sample = await referenceImage(model);
      const expected = readReferenceF32(model, 'vae.encoder.mean.f32');
      await assertMatches(
        `${model} vae encoder`,
        // latent_parameters is mean ‖ logvar along the channels: with batch 1, the first half.
        async (options) =>
          (await run(buildVaeEncoder, model, { sample }, options)).slice(0, expected.length),
        expected,
      );
    });

    it(`${model}: the decoder gives diffusers' AutoencoderKL.decode output`, async () => {
      const latent = readReferenceF32(model, 'vae.decoder.latent.f32');
      const latent_sample = new ort.Tensor('float32', latent, [1, 4, 8, 8]);
      await assertMatches(
        `${model} vae decoder`,
        (options) => run(buildVaeDecoder, model, { latent_sample }, options),
        readReferenceF32(model, 'vae.decoder.out.f32'),
      );
    });
  }

  it('declares the I/O the engine reads: sample → latent_parameters, latent_sample → sample', async () => {
    const encoder = await sessionFrom(
      buildVaeEncoder(parseVaeConfig(vaeFolder('sd1-tiny').json), vaeFolder('sd1-tiny').weights),
    );
    assert.deepEqual(
      [encoder.inputNames, encoder.outputNames],
      [['sample'], ['latent_parameters']],
    );
    const decoder = await sessionFrom(
      buildVaeDecoder(parseVaeConfig(vaeFolder('sd1-tiny').json), vaeFolder('sd1-tiny').weights),
    );
    assert.deepEqual([decoder.inputNames, decoder.outputNames], [['latent_sample'], ['sample']]);
  });

  it('refuses, by key, the options it does not implement', () => {
    const { json } = vaeFolder('sd1-tiny');
    for (const [key, value] of [
      ['act_fn', 'gelu'],
      ['down_block_types', ['DownEncoderBlock2D']],
      [
        'up_block_types',
        ['AttnUpDecoderBlock2D', 'UpDecoderBlock2D', 'UpDecoderBlock2D', 'UpDecoderBlock2D'],
      ],
    ] as const) {
      assert.throws(
        () => parseVaeConfig({ ...json, [key]: value }),
        (error: unknown) => error instanceof ModelConfigError && error.message.includes(key),
        key,
      );
    }
  });
});
