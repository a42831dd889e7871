import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { loraRankDim } from '../lora/types.ts';
import { SafetensorsFile } from '../weights/safetensors.ts';
import { int8Weights } from '../models/int8-kernel.ts';
import type { BuildOptions } from './build-options.ts';
import { parseClipTextConfig, type ClipTextConfig } from './clip-text-config.ts';
import { ModelConfigError } from './config-reader.ts';
import { buildTextEncoder, clipTextWeights } from './clip-text-encoder.ts';
import {
  readReferenceF32,
  referenceCases,
  REFERENCE_DIR,
  relativeL2,
  runBase,
  sessionFrom,
} from '../testing/graphs/reference.ts';

/** int8 builds use this CPU's weight limit, as the importer does. */
const int8Layers = await int8Weights();

type Model = 'sd1-tiny' | 'sd2-tiny';
const MODELS: readonly Model[] = ['sd1-tiny', 'sd2-tiny'];
const FOLDER = (model: Model) => path.join(REFERENCE_DIR, model, 'diffusers', 'text_encoder');

const opened: SafetensorsFile[] = [];
after(() => opened.forEach((file) => file.close()));

function referenceEncoder(model: Model, overrides: Partial<ClipTextConfig> = {}) {
  const json = JSON.parse(readFileSync(path.join(FOLDER(model), 'config.json'), 'utf8'));
  const config = parseClipTextConfig({ ...json, ...overrides });
  const weights = SafetensorsFile.open(path.join(FOLDER(model), 'model.safetensors'));
  opened.push(weights);
  return { config, weights: clipTextWeights([weights]) };
}

async function encode(
  model: Model,
  rows: readonly (readonly number[])[],
  options?: BuildOptions,
  overrides?: Partial<ClipTextConfig>,
): Promise<{ last: Float32Array; pooled: Float32Array }> {
  const { config, weights } = referenceEncoder(model, overrides);
  const session = await sessionFrom(buildTextEncoder(config, weights, options));
  const ids = BigInt64Array.from(rows.flat(), (id) => BigInt(id));
  const out = await runBase(session, {
    input_ids: new ort.Tensor('int64', ids, [rows.length, rows[0]!.length]),
  });
  return {
    last: out.last_hidden_state!.data as Float32Array,
    pooled: out.pooler_output!.data as Float32Array,
  };
}

/** The reference's hidden state at `token` of a one-row batch. */
function stateAt(model: Model, token: number): Float32Array {
  const width = referenceCases(model).shapes['text_encoder.last_hidden_state'][2] as number;
  const last = readReferenceF32(model, 'text_encoder.last_hidden_state.f32');
  return last.slice(token * width, (token + 1) * width);
}

describe('buildTextEncoder', () => {
  for (const model of MODELS) {
    const ids: number[] = referenceCases(model).input_ids;
    const expected = readReferenceF32(model, 'text_encoder.last_hidden_state.f32');

    it(`${model}: fp32 matches transformers' CLIPTextModel (relative L2 <= 1e-4)`, async () => {
      const { last, pooled } = await encode(model, [ids]);
      const error = relativeL2(last, expected);
      console.log(`${model} fp32 last_hidden_state relative L2 ${error.toExponential(2)}`);
      assert.ok(error <= 1e-4, `relative L2 ${error}`);
      // pooler_output is the state at the first end-of-text token.
      assert.ok(relativeL2(pooled, stateAt(model, ids.indexOf(49407))) <= 1e-4);
    });

    for (const [variant, options] of [
      ['float16', { floatType: 'float16' }],
      ['int8', { quantized: int8Layers }],
    ] as const) {
      it(`${model}: ${variant} builds, runs with float32 I/O and approximates fp32`, async () => {
        const { last } = await encode(model, [ids], options);
        const error = relativeL2(last, expected);
        console.log(`${model} ${variant} last_hidden_state relative L2 ${error.toExponential(2)}`);
        assert.ok(error < 0.05, `relative L2 ${error}`);
      });
    }
  }

  it('declares int64 input_ids and float32 outputs over dynamic batch and sequence', async () => {
    const { config, weights } = referenceEncoder('sd2-tiny');
    const session = await sessionFrom(buildTextEncoder(config, weights, { floatType: 'float16' }));
    const meta = (list: readonly ort.InferenceSession.ValueMetadata[]) =>
      list.map((m) => (m.isTensor ? [m.name, m.type, m.shape] : [m.name]));
    const [ids, ...lora] = meta(session.inputMetadata);
    assert.deepEqual(ids, ['input_ids', 'int64', ['batch_size', 'sequence_length']]);
    // Every attention and MLP projection of each layer takes a float32 LoRA branch, even in fp16.
    const q = 'encoder.layers.0.self_attn.q_proj';
    assert.equal(lora.length, 2 * 6 * config.num_hidden_layers);
    assert.deepEqual(lora.slice(0, 2), [
      [`lora.${q}.down`, 'float32', [loraRankDim(q), 64]],
      [`lora.${q}.up`, 'float32', [64, loraRankDim(q)]],
    ]);
    assert.deepEqual(meta(session.outputMetadata), [
      ['last_hidden_state', 'float32', ['batch_size', 'sequence_length', 64]],
      ['pooler_output', 'float32', ['batch_size', 64]],
    ]);
  });

  it('refuses weights that do not fit the config, naming the tensor', () => {
    const deeper = referenceEncoder('sd2-tiny', { num_hidden_layers: 4 });
    assert.throws(
      () => buildTextEncoder(deeper.config, deeper.weights),
      /holds no tensor "encoder\.layers\.3\.layer_norm1\.weight"/,
    );
    const wider = referenceEncoder('sd1-tiny', { intermediate_size: 128 });
    assert.throws(
      () => buildTextEncoder(wider.config, wider.weights),
      /"text_model\.encoder\.layers\.0\.mlp\.fc1\.weight" is \[256, 64\], the model needs \[128, 64\]/,
    );
  });

  it('batches rows independently and causally: a shorter sequence gives the same prefix', async () => {
    const ids: number[] = referenceCases('sd1-tiny').input_ids;
    const expected = readReferenceF32('sd1-tiny', 'text_encoder.last_hidden_state.f32');
    const { last } = await encode('sd1-tiny', [ids, ids]);
    assert.ok(relativeL2(last.subarray(expected.length), expected) <= 1e-4);
    const prefix = await encode('sd1-tiny', [ids.slice(0, 12)]);
    assert.ok(relativeL2(prefix.last, expected.subarray(0, 12 * 64)) <= 1e-4);
  });

  it("pools as transformers does for configs before #24773 (SD 1.x's eos_token_id 2)", async () => {
    const ids: number[] = referenceCases('sd1-tiny').input_ids;
    // Every row's highest id is 49407: its first position, whatever eos_token_id says.
    const legacy = await encode('sd1-tiny', [ids], {}, { eos_token_id: 2 });
    assert.ok(relativeL2(legacy.pooled, stateAt('sd1-tiny', ids.indexOf(49407))) <= 1e-4);
    // A row without 49407: the first eos_token_id (token 320 stands in), in every row.
    const noEnd = ids.map((id) => (id === 49407 ? 0 : id));
    const { last, pooled } = await encode('sd1-tiny', [noEnd, ids], {}, { eos_token_id: 320 });
    const width = 64;
    const at = (row: number, token: number) =>
      last.subarray((row * 77 + token) * width, (row * 77 + token + 1) * width);
    assert.deepEqual(pooled.subarray(0, width), at(0, 1));
    assert.deepEqual(pooled.subarray(width), at(1, 1));
  });
});

describe('parseClipTextConfig', () => {
  const refuses = (json: unknown, pattern: RegExp) =>
    assert.throws(
      () => parseClipTextConfig(json),
      (error: Error) =>
        error instanceof ModelConfigError &&
        error.message.startsWith('text_encoder/config.json: ') &&
        pattern.test(error.message),
    );

  it("fills CLIPTextConfig's defaults and ignores keys that do not shape the graph", () => {
    assert.deepEqual(parseClipTextConfig({ attention_dropout: 0.1, dtype: 'float16' }), {
      vocab_size: 49408,
      hidden_size: 512,
      intermediate_size: 2048,
      num_hidden_layers: 12,
      num_attention_heads: 8,
      max_position_embeddings: 77,
      hidden_act: 'quick_gelu',
      layer_norm_eps: 1e-5,
      eos_token_id: 49407,
    });
  });

  it('refuses unsupported settings by name, listing what is accepted', () => {
    refuses({ hidden_act: 'gelu_new' }, /hidden_act = "gelu_new" .*"quick_gelu", "gelu"/);
    refuses({ model_type: 'clip' }, /model_type = "clip" .*"clip_text_model"/);
    refuses(
      { architectures: ['CLIPTextModelWithProjection'] },
      /architectures = "CLIPTextModelWithProjection" .*"CLIPTextModel"/,
    );
    refuses({ hidden_size: 96, num_attention_heads: 5 }, /hidden_size 96 .*num_attention_heads 5/);
    refuses({ num_hidden_layers: 0 }, /num_hidden_layers is 0; expected an integer >= 1/);
    refuses({ intermediate_size: '3072' }, /intermediate_size is "3072"; expected a number/);
    refuses({ layer_norm_eps: -1 }, /layer_norm_eps is -1/);
    refuses([], /not a JSON object/);
  });
});
