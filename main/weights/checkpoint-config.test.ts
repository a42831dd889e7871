import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import util from 'node:util';
import { inferCheckpointConfig } from './checkpoint-config.ts';
import { SafetensorsFile } from './safetensors.ts';
import { writeZeroTensors } from '../testing/weights.ts';

const REFERENCE = 'scripts/fixtures/diffusers-reference';

function open(t: { after(fn: () => void): void }, file: string): SafetensorsFile {
  const st = SafetensorsFile.open(file);
  t.after(() => st.close());
  return st;
}

for (const [model, architecture, family] of [
  ['sd1-tiny', 'sd1', 'sd15'],
  ['sd2-tiny', 'sd2', 'turbo'],
] as const) {
  test(`${model}: the inferred configs agree with the diffusers folder's config.json files`, (t) => {
    const config = inferCheckpointConfig(open(t, `${REFERENCE}/${model}/checkpoint.safetensors`));
    assert.equal(config.architecture, architecture);
    assert.equal(config.family, family);
    for (const component of ['unet', 'vae', 'text_encoder'] as const) {
      const json = JSON.parse(
        fs.readFileSync(`${REFERENCE}/${model}/diffusers/${component}/config.json`, 'utf8'),
      ) as Record<string, unknown>;
      for (const [field, value] of Object.entries(config[component])) {
        assert.deepEqual(value, json[field], `${model} ${component}.${field}`);
      }
    }
  });
}

test('every config.json field in which SD 1.x and SD 2.x differ is inferred', (t) => {
  const config = inferCheckpointConfig(open(t, `${REFERENCE}/sd1-tiny/checkpoint.safetensors`));
  const read = (model: string, component: string) =>
    JSON.parse(
      fs.readFileSync(`${REFERENCE}/${model}/diffusers/${component}/config.json`, 'utf8'),
    ) as Record<string, unknown>;
  // Not the architecture: the file's dtype, and the tokenizer's pad token (its config, not ours).
  const notArchitecture = new Set(['dtype', 'pad_token_id']);
  for (const component of ['unet', 'vae', 'text_encoder'] as const) {
    const [sd1, sd2] = [read('sd1-tiny', component), read('sd2-tiny', component)];
    const differing = Object.keys(sd1).filter(
      (field) => !notArchitecture.has(field) && !util.isDeepStrictEqual(sd1[field], sd2[field]),
    );
    const inferred = Object.keys(config[component]);
    for (const field of differing) assert.ok(inferred.includes(field), `${component}.${field}`);
  }
});

test('--family overrides the family, not the architecture the tensors show', (t) => {
  const checkpoint = open(t, `${REFERENCE}/sd1-tiny/checkpoint.safetensors`);
  const inferred = inferCheckpointConfig(checkpoint);
  const lcm = inferCheckpointConfig(checkpoint, 'lcm');
  assert.equal(lcm.family, 'lcm');
  assert.deepEqual({ ...lcm, family: inferred.family }, inferred);
  assert.equal(inferCheckpointConfig(checkpoint, 'turbo').unet.attention_head_dim, 8);
});

test('a shape the configs cannot be read from is refused naming the tensor and its shape', (t) => {
  const cases: [string, string, readonly number[], RegExp][] = [
    [
      'sd2-tiny',
      'model.diffusion_model.output_blocks.3.1.proj_in.weight',
      [64, 64, 1, 1],
      /tensor "model\.diffusion_model\.output_blocks\.3\.1\.proj_in\.weight" is \[64, 64, 1, 1\], a shape the unet's "up_blocks\.1\.attentions\.0\.proj_in\.weight" cannot have/,
    ],
    [
      'sd1-tiny',
      'model.diffusion_model.middle_block.1.transformer_blocks.0.attn2.to_k.weight',
      [64, 32],
      /tensor "model\.diffusion_model\.middle_block\.1\.transformer_blocks\.0\.attn2\.to_k\.weight" is \[64, 32\]/,
    ],
    [
      // SD 2.x's 64-wide heads do not fit a 96-wide level.
      'sd2-tiny',
      'model.diffusion_model.input_blocks.1.0.in_layers.2.weight',
      [96, 64, 3, 3],
      /tensor "model\.diffusion_model\.input_blocks\.1\.0\.in_layers\.2\.weight" is \[96, 64, 3, 3\]/,
    ],
    [
      'sd1-tiny',
      'cond_stage_model.transformer.text_model.embeddings.token_embedding.weight',
      [49408, 60],
      /tensor "cond_stage_model\.transformer\.text_model\.embeddings\.token_embedding\.weight" is \[49408, 60\]/,
    ],
  ];
  for (const [model, key, shape, expected] of cases) {
    const tensors = new Map(
      open(t, `${REFERENCE}/${model}/checkpoint.safetensors`)
        .list()
        .map(({ name, shape }) => [name, shape] as const),
    );
    tensors.set(key, shape);
    assert.throws(
      () => inferCheckpointConfig(open(t, writeZeroTensors(t, tensors))),
      expected,
      key,
    );
  }
});
