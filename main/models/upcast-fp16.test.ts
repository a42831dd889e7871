import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import ort from 'onnxruntime-node';
import { fixtureModel } from '../../scripts/fixtures/cache.ts';
import { float16BitsToFloat32, float32ToFloat16Bits } from '../engine/onnx/float16.ts';
import { SeededNoise } from '../engine/random.ts';
import { DataType, onnx, readOnnx, type GraphProto, type ModelProto } from './onnx-model.ts';
import { relativeL2 } from './quantize.ts';
import { upcastOnnxFile } from './upcast-fp16.ts';

const COMPONENTS = ['text_encoder', 'unet', 'vae_encoder', 'vae_decoder'];
/** fp16 activations keep ~3 significant digits: this is a rounding error, not a wrong graph. */
const FP16_TOLERANCE = 1e-2;

async function scratchDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'avatar-upcast-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

for (const variant of ['turbo-fp16', 'turbo-fp16-io'] as const) {
  test(`${variant}: every component upcast to fp32 gives the fp16 outputs`, async (t) => {
    const source = await fixtureModel(variant);
    const out = await scratchDir(t);
    for (const component of COMPONENTS) {
      const from = path.join(source, component, 'model.onnx');
      const to = path.join(out, `${component}.onnx`);
      assert.deepEqual(await upcastOnnxFile(from, to, component, 'IMPORT_UNSUPPORTED'), {
        dataFiles: [],
      });
      assertNoFloat16((await readOnnx(to, component)).graph as GraphProto, component);

      const [half, single] = await Promise.all([
        ort.InferenceSession.create(from),
        ort.InferenceSession.create(to),
      ]);
      const feeds = feedsFor(half);
      const expected = await run(half, feeds);
      const actual = await run(single, asFloat32(feeds));
      for (const [name, value] of Object.entries(expected)) {
        const error = relativeL2(value, actual[name]!);
        assert.ok(error < FP16_TOLERANCE, `${component} ${name}: relative error ${error}`);
      }
      await Promise.all([half.release(), single.release()]);
    }
    // Under 2 GB, each stays one file, as exporters write it.
    assert.deepEqual((await readdir(out)).sort(), COMPONENTS.map((c) => `${c}.onnx`).sort());
  });
}

test('a graph with no float16 is left alone: nothing is written', async (t) => {
  const out = await scratchDir(t);
  const from = path.join(await fixtureModel('turbo'), 'unet', 'model.onnx');
  assert.equal(
    await upcastOnnxFile(from, path.join(out, 'unet.onnx'), 'unet', 'IMPORT_UNSUPPORTED'),
    null,
  );
  assert.deepEqual(await readdir(out), []);
});

test('Constant, ConstantOfShape, Cast and If subgraphs are upcast; weights can go external', async (t) => {
  const dir = await scratchDir(t);
  const from = path.join(dir, 'half.onnx');
  await writeFile(from, onnx.ModelProto.encode(handWrittenHalfModel()).finish());
  const to = path.join(dir, 'single.onnx');
  await upcastOnnxFile(from, to, 'half.onnx', 'IMPORT_UNSUPPORTED', { externalData: 'always' });

  const model = await readOnnx(to, 'single.onnx');
  const graph = model.graph as GraphProto;
  assertNoFloat16(graph, 'single.onnx');
  const weight = graph.initializer.find((i) => i.name === 'w')!;
  assert.equal(weight.dataLocation, onnx.TensorProto.DataLocation.EXTERNAL);
  assert.deepEqual(await readdir(dir), ['half.onnx', 'single.onnx', 'single.onnx_data']);

  const [half, single] = await Promise.all([
    ort.InferenceSession.create(from),
    ort.InferenceSession.create(to),
  ]);
  for (const flag of [true, false]) {
    const feeds = feedsFor(half);
    feeds.flag = new ort.Tensor('bool', Uint8Array.of(flag ? 1 : 0), []);
    const expected = await run(half, feeds);
    const actual = await run(single, asFloat32(feeds));
    assert.equal(single.outputMetadata[0]!.isTensor && single.outputMetadata[0]!.type, 'float32');
    const error = relativeL2(expected.y!, actual.y!);
    assert.ok(error < FP16_TOLERANCE, `relative error ${error}`);
  }
  await Promise.all([half.release(), single.release()]);
});

/** No float16 in initializers, value types, tensor attributes or element-type attributes. */
function assertNoFloat16(graph: GraphProto, where: string): void {
  const text = JSON.stringify(onnx.GraphProto.toObject(graph, { enums: Number }));
  // Every place ONNX names an element type: dataType, elemType, and Cast's `to` (an INT attribute).
  assert.doesNotMatch(text, new RegExp(`"(dataType|elemType)":${DataType.FLOAT16}\\b`), where);
  for (const node of graph.node.filter((n) => n.opType === 'Cast'))
    assert.notEqual(Number(node.attribute?.[0]?.i), DataType.FLOAT16, `${where} ${node.name}`);
}

/** Seeded inputs in the dtypes and shapes the model declares (symbolic dims: small sizes). */
function feedsFor(session: ort.InferenceSession): Record<string, ort.Tensor> {
  const noise = new SeededNoise(7);
  const feeds: Record<string, ort.Tensor> = {};
  for (const meta of session.inputMetadata) {
    if (!meta.isTensor) continue;
    const dims = meta.shape.map((d) =>
      typeof d === 'number' ? d : /sequence/.test(d) ? 77 : /batch|steps/.test(d) ? 1 : 8,
    );
    const count = dims.reduce((a, b) => a * b, 1);
    const floats = noise.normal(count);
    switch (meta.type) {
      case 'float32':
        feeds[meta.name] = new ort.Tensor('float32', floats, dims);
        break;
      case 'float16':
        feeds[meta.name] = new ort.Tensor('float16', float32ToFloat16Bits(floats), dims);
        break;
      case 'int64':
        feeds[meta.name] = new ort.Tensor(
          'int64',
          BigInt64Array.from(floats, (_, i) => BigInt((i * 37) % 1000)),
          dims,
        );
        break;
      case 'int32':
        feeds[meta.name] = new ort.Tensor(
          'int32',
          Int32Array.from(floats, (_, i) => (i * 37) % 1000),
          dims,
        );
        break;
      case 'bool':
        feeds[meta.name] = new ort.Tensor('bool', new Uint8Array(count), dims);
        break;
      default:
        throw new Error(`no test input for ${meta.name}: ${meta.type}`);
    }
  }
  return feeds;
}

/** The same inputs for the fp32 graph: float16 values widened exactly. */
function asFloat32(feeds: Record<string, ort.Tensor>): Record<string, ort.Tensor> {
  return Object.fromEntries(
    Object.entries(feeds).map(([name, tensor]) => [
      name,
      tensor.type === 'float16'
        ? new ort.Tensor('float32', float16BitsToFloat32(tensor.data as Uint16Array), tensor.dims)
        : tensor,
    ]),
  );
}

/** Every output as float32, whatever the model's float type. */
async function run(
  session: ort.InferenceSession,
  feeds: Record<string, ort.Tensor>,
): Promise<Record<string, Float32Array>> {
  const outputs = await session.run(feeds);
  return Object.fromEntries(
    Object.entries(outputs).map(([name, tensor]) => [
      name,
      tensor.type === 'float16'
        ? float16BitsToFloat32(tensor.data as Uint16Array)
        : (tensor.data as Float32Array),
    ]),
  );
}

/**
 * x (fp16 [2,3]) → + Constant → + ConstantOfShape(0.5) → Cast(float) → Cast(float16) → MatMul(w
 * [3,200], past 1 KiB) → + If(flag: Constant 1 | Constant −1) → y (fp16): one of each rewrite.
 */
function handWrittenHalfModel(): ModelProto {
  const types = onnx.AttributeProto.AttributeType;
  const half = (name: string, dims: number[], values: number[]) => ({
    name,
    dims,
    dataType: DataType.FLOAT16,
    rawData: new Uint8Array(float32ToFloat16Bits(Float32Array.from(values)).buffer),
  });
  const halfInfo = (name: string, dims: (number | string)[]) => ({
    name,
    type: {
      tensorType: {
        elemType: DataType.FLOAT16,
        shape: {
          dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })),
        },
      },
    },
  });
  const constant = (output: string, value: ReturnType<typeof half>) => ({
    opType: 'Constant',
    output: [output],
    attribute: [{ name: 'value', type: types.TENSOR, t: value }],
  });
  const cast = (input: string, output: string, to: number) => ({
    opType: 'Cast',
    input: [input],
    output: [output],
    attribute: [{ name: 'to', type: types.INT, i: to }],
  });
  const branch = (name: string, value: number) => ({
    name,
    node: [constant(`${name}_out`, half(`${name}_value`, [1], [value]))],
    output: [halfInfo(`${name}_out`, [1])],
  });
  const weights = Array.from({ length: 600 }, (_, i) => Math.sin(i) / 2);
  return onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'half',
      input: [
        halfInfo('x', [2, 3]),
        { name: 'flag', type: { tensorType: { elemType: DataType.BOOL, shape: { dim: [] } } } },
      ],
      output: [halfInfo('y', [2, 200])],
      valueInfo: [halfInfo('a', [2, 3])],
      initializer: [half('w', [3, 200], weights)],
      node: [
        constant('c', half('c_value', [3], [0.25, -0.5, 1])),
        { opType: 'Add', input: ['x', 'c'], output: ['a'] },
        { opType: 'Shape', input: ['a'], output: ['shape'] },
        {
          opType: 'ConstantOfShape',
          input: ['shape'],
          output: ['half_filled'],
          attribute: [{ name: 'value', type: types.TENSOR, t: half('fill', [1], [0.5]) }],
        },
        { opType: 'Add', input: ['a', 'half_filled'], output: ['b'] },
        cast('b', 'b_float', DataType.FLOAT),
        cast('b_float', 'b_half', DataType.FLOAT16),
        { opType: 'MatMul', input: ['b_half', 'w'], output: ['m'] },
        {
          opType: 'If',
          input: ['flag'],
          output: ['sign'],
          attribute: [
            { name: 'then_branch', type: types.GRAPH, g: branch('then', 1) },
            { name: 'else_branch', type: types.GRAPH, g: branch('else', -1) },
          ],
        },
        { opType: 'Mul', input: ['m', 'sign'], output: ['y'] },
      ],
    },
  });
}
