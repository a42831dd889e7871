import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { int8Weights } from '../models/int8-kernel.ts';
import type { BuildOptions } from './build-options.ts';
import { ModelConfigError } from './config-reader.ts';
import { parseTaesdConfig } from './taesd-config.ts';
import { buildTaesdDecoder, buildTaesdEncoder } from './taesd.ts';
import {
  readReferenceF32,
  REFERENCE_DIR,
  referenceCases,
  relativeL2,
  sessionFrom,
} from '../testing/graphs/reference.ts';
import { SafetensorsFile } from '../weights/safetensors.ts';
import { safetensorsWeights } from '../weights/weight-source.ts';

/** int8 builds use this CPU's weight limit, as the importer does. */
const int8Layers = await int8Weights();

/** Both halves build the same way. */
type Build = typeof buildTaesdEncoder;

const dir = path.join(REFERENCE_DIR, 'taesd-tiny', 'taesd');
const json = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));
const weights = safetensorsWeights([
  SafetensorsFile.open(path.join(dir, 'diffusion_pytorch_model.safetensors')),
]);

async function run(
  build: Build,
  input: { name: string; file: string; shape: number[] },
  options?: BuildOptions,
): Promise<{ names: string[][]; out: Float32Array }> {
  const session = await sessionFrom(build(parseTaesdConfig(json), weights, options));
  const feeds = {
    [input.name]: new ort.Tensor(
      'float32',
      readReferenceF32('taesd-tiny', input.file),
      input.shape,
    ),
  };
  const out = (await session.run(feeds))[session.outputNames[0]!]!.data as Float32Array;
  return { names: [[...session.inputNames], [...session.outputNames]], out };
}

describe('buildTaesdEncoder / buildTaesdDecoder', () => {
  const cases = referenceCases('taesd-tiny');
  for (const [part, build, input, output, names] of [
    ['encoder', buildTaesdEncoder, 'sample', 'encoder.out.f32', ['sample', 'latent_sample']],
    ['decoder', buildTaesdDecoder, 'latent_sample', 'decoder.out.f32', ['latent_sample', 'sample']],
  ] as const) {
    it(`the ${part} gives diffusers' AutoencoderTiny output, in [-1, 1] pixel space`, async () => {
      const feed = { name: input, file: `${part}.in.f32`, shape: cases[part].in };
      const expected = readReferenceF32('taesd-tiny', output);
      const fp32 = await run(build, feed);
      assert.deepEqual(fp32.names, [[names[0]], [names[1]]]);
      const errors = {
        fp32: relativeL2(fp32.out, expected),
        fp16: relativeL2((await run(build, feed, { floatType: 'float16' })).out, expected),
        int8: relativeL2((await run(build, feed, { quantized: int8Layers })).out, expected),
      };
      console.log(`taesd ${part} relative L2: ${JSON.stringify(errors)}`);
      assert.ok(errors.fp32 <= 1e-4, `fp32 ${errors.fp32}`);
      assert.ok(errors.fp16 <= 1e-2, `fp16 ${errors.fp16}`);
      assert.ok(errors.int8 <= 0.15, `int8 ${errors.int8}`);
    });
  }

  it('refuses, by key, the options it does not implement', () => {
    for (const [key, value] of [
      ['act_fn', 'silu'],
      ['upsample_fn', 'bilinear'],
    ] as const) {
      assert.throws(
        () => parseTaesdConfig({ ...json, [key]: value }),
        (error: unknown) => error instanceof ModelConfigError && error.message.includes(key),
        key,
      );
    }
  });
});
