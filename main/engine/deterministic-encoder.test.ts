import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { Engine } from './engine.ts';
import { EngineError } from './errors.ts';
import { loadModel } from './model.ts';
import { deterministicEncoder } from './onnx/deterministic-encoder.ts';
import { SeededNoise } from './random.ts';
import { sd15WithEncoder } from '../testing/engine/encoder-exports.ts';
import {
  TEST_SIZE as SIZE,
  testImage as image,
  testRequest,
} from '../testing/engine/img2img-request.ts';
import { copyOfFixture } from '../testing/engine/model-copies.ts';
import type { Img2ImgRequest } from './types.ts';

const { onnx } = onnxProto;
type GraphProto = onnxProto.onnx.GraphProto;

const graphOf = (bytes: Uint8Array): GraphProto =>
  onnx.ModelProto.decode(bytes).graph as GraphProto;
const ENCODER = 'vae_encoder/model.onnx';
const noise = new SeededNoise(99).normal(4 * (SIZE / 8) ** 2);
const request = (overrides: Partial<Img2ImgRequest> = {}): Img2ImgRequest =>
  testRequest({ scheduler: 'ddim', ...overrides });

/** The encoder's output for `image`, `runs` times over in one session. */
async function encode(model: string | Uint8Array, runs = 1): Promise<Float32Array[]> {
  const session = await (typeof model === 'string'
    ? InferenceSession.create(model)
    : InferenceSession.create(model));
  try {
    const sample = new Tensor('float32', image, [1, 3, SIZE, SIZE]);
    const outputs: Float32Array[] = [];
    for (let i = 0; i < runs; i++) {
      const result = await session.run({ sample });
      outputs.push(result[session.outputNames[0]!]!.data as Float32Array);
    }
    return outputs;
  } finally {
    await session.release();
  }
}

test('the sampling fixture is what the exporters write: a fresh draw at every call', async () => {
  const file = path.join(await sd15WithEncoder('sampling'), ENCODER);
  const graph = graphOf(await readFile(file));
  assert.ok(graph.node.some((n) => n.opType === 'RandomNormalLike'));
  const [first, second] = await encode(file, 2);
  assert.notDeepEqual(first, second);
});

test('the rewrite outputs latent_parameters with the moments the sample was drawn from', async () => {
  const sampling = path.join(await sd15WithEncoder('sampling'), ENCODER);
  const parameters = path.join(await sd15WithEncoder('latent_parameters'), ENCODER);
  const rewritten = await deterministicEncoder(sampling, ENCODER);
  assert.ok(rewritten);
  assert.match(rewritten.change, /RandomNormalLike.*latent_parameters/);
  const graph = graphOf(rewritten.bytes);
  assert.deepEqual(
    graph.output.map((o) => o.name),
    ['latent_parameters'],
  );
  assert.ok(!graph.node.some((n) => n.opType?.startsWith('Random')));
  // logvar comes back as 2 · (0.5 · clamp(logvar)): exact, so the bytes match Optimum's export.
  assert.deepEqual(await encode(rewritten.bytes), await encode(parameters));
  assert.equal(await deterministicEncoder(parameters, ENCODER), undefined);
});

// Built at the top: a fixture copy made inside a hook would be removed when the hook ends.
const samplingDir = await sd15WithEncoder('sampling');
const parametersDir = await sd15WithEncoder('latent_parameters');
const meanDir = await copyOfFixture('sd15');
const originalBytes = await readFile(path.join(samplingDir, ENCODER));

describe('img2img on an encoder that samples its own latent', () => {
  const sampling = new Engine();
  const parameters = new Engine();
  const mean = new Engine();
  before(async () => {
    await sampling.load({ dir: samplingDir });
    await parameters.load({ dir: parametersDir });
    await mean.load({ dir: meanDir });
  });
  after(async () => {
    await Promise.all([sampling.close(), parameters.close(), mean.close()]);
  });

  test('two runs with one seed are byte-identical; another seed differs', async () => {
    // Two photo keys: the encoder runs twice, as in two processes (its cache would hide a draw).
    const first = await sampling.img2img(request({ imageKey: 'first' }));
    const again = await sampling.img2img(request({ imageKey: 'again' }));
    assert.deepEqual(again.image, first.image);
    assert.deepEqual(again.latents, first.latents);
    const other = await sampling.img2img(request({ seed: 43 }));
    assert.notDeepEqual(other.latents, first.latents);
  });

  test("the seed draws the sample as from Optimum's latent_parameters export", async () => {
    const a = await sampling.img2img(request());
    const b = await parameters.img2img(request());
    assert.deepEqual(a.image, b.image);
  });

  test('--noise means the mean: results equal the mean encoder’s, whatever the seed', async () => {
    const a = await sampling.img2img(request({ noise, seed: 1 }));
    const b = await mean.img2img(request({ noise, seed: 2 }));
    assert.deepEqual(a.latents, b.latents);
    assert.deepEqual(a.image, b.image);
  });

  test('the model file is left untouched', async () => {
    assert.deepEqual(await readFile(path.join(samplingDir, ENCODER)), originalBytes);
  });
});

test('the loaded encoder says what was done to it', async () => {
  const model = await loadModel({ dir: await sd15WithEncoder('sampling') });
  try {
    assert.match(model.encoder.rewritten ?? '', /RandomNormalLike/);
  } finally {
    await model.release();
  }
  const plain = await loadModel({ dir: await copyOfFixture('sd15') });
  await plain.release();
  assert.equal(plain.encoder.rewritten, undefined);
});

describe('random encoders the engine cannot make deterministic are refused, naming the file', () => {
  const refused = async (dir: string, why: RegExp): Promise<void> => {
    await assert.rejects(loadModel({ dir }), (error: unknown) => {
      assert.ok(error instanceof EngineError);
      assert.equal(error.code, 'MODEL_IO_MISMATCH');
      assert.match(error.message, /vae_encoder\/model\.onnx draws random numbers/);
      assert.match(error.message, why);
      return true;
    });
  };

  test('weights in external data', async () => {
    const dir = await sd15WithEncoder('sampling');
    const file = path.join(dir, ENCODER);
    const model = onnx.ModelProto.decode(await readFile(file));
    const weight = (model.graph as GraphProto).initializer.find(
      (t) => t.name === 'vae_encoder.conv1.weight',
    )!;
    const raw = weight.rawData!;
    await writeFile(path.join(dir, 'vae_encoder/model.onnx_data'), raw);
    weight.externalData = [
      { key: 'location', value: 'model.onnx_data' },
      { key: 'offset', value: '0' },
      { key: 'length', value: String(raw.length) },
    ];
    weight.rawData = new Uint8Array(0);
    weight.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
    await writeFile(file, onnx.ModelProto.encode(model).finish());
    await refused(dir, /external data/);
  });

  test('noise that is not the mean + std · ε sample', async () => {
    const dir = await sd15WithEncoder('sampling');
    const file = path.join(dir, ENCODER);
    const model = onnx.ModelProto.decode(await readFile(file));
    // Any op but Cast or Identity on the way out changes what the sample means (a baked-in scale).
    const last = (model.graph as GraphProto).node.at(-1)!;
    last.opType = 'Neg';
    await writeFile(file, onnx.ModelProto.encode(model).finish());
    await refused(dir, /transformed before the latent_sample output/);
  });
});
