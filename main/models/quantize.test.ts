import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { fixtureModel } from '../../scripts/fixtures/cache.ts';
import { loadModel } from '../engine/model.ts';
import { copyOfFixture } from '../engine/testing/model-copies.ts';
import { tempDataDir } from '../store/test-helpers.ts';
import { importModel } from './import.ts';
import { DataType, onnx, precisionOf, readOnnx, type GraphProto } from './onnx-model.ts';
import { quantizeInstalled } from './quantize.ts';
import { getInstalled, listInstalled } from './registry.ts';

const SMALL = { latentSize: 8, runs: 1 };

test('an int8 copy of a fixture loads, runs, and reports its error against fp32', async (t) => {
  const dataDir = tempDataDir(t);
  await importModel({ dataDir, source: await fixtureModel('turbo') });
  const { model, report } = await quantizeInstalled({ dataDir, id: 'turbo', ...SMALL });

  assert.equal(model.manifest.id, 'turbo-int8');
  assert.equal(model.manifest.precision, 'int8');
  assert.equal(model.manifest.source, 'quantized');
  assert.equal(model.manifest.quantizedFrom, 'turbo');
  assert.deepEqual(model.manifest.quantization, report);
  // 8-bit weights and activations: close to fp32, but not equal to it.
  for (const error of [report.textEncoderError, report.unetError]) {
    assert.ok(error > 0 && error < 0.1, `relative error ${error}`);
  }
  assert.ok(report.speedup > 0 && report.unetMs.int8 > 0);

  const unet = await readOnnx(path.join(model.dir, 'unet/model.onnx'), 'unet');
  const ops = new Set((unet.graph as GraphProto).node.map((n) => n.opType));
  for (const op of ['DynamicQuantizeLinear', 'MatMulInteger', 'ConvInteger'])
    assert.ok(ops.has(op), op);
  const graph = unet.graph as GraphProto;
  const weights = new Set(graph.initializer.map((i) => i.name));
  const floatWeightOps = graph.node.filter(
    (n) => (n.opType === 'MatMul' || n.opType === 'Conv') && weights.has(n.input![1]!),
  );
  assert.deepEqual(floatWeightOps, []);
  assert.equal(precisionOf(unet), 'int8');

  const loaded = await loadModel({ dir: model.dir });
  await loaded.release();
  assert.deepEqual(
    (await listInstalled(dataDir)).map((m) => m.manifest.id),
    ['turbo', 'turbo-int8'],
  );
});

test('weights kept as external data (weights.pb) are read and written inline', async (t) => {
  const dataDir = tempDataDir(t);
  const source = await copyOfFixture('lcm');
  await externalize(path.join(source, 'unet'), 'weights.pb');
  await importModel({ dataDir, source });
  const { model, report } = await quantizeInstalled({ dataDir, id: 'lcm', ...SMALL });
  assert.ok(report.unetError < 0.1, `relative error ${report.unetError}`);
  assert.ok(!model.manifest.files.some((f) => f.path === 'unet/weights.pb'));
  const unet = await readOnnx(path.join(model.dir, 'unet/model.onnx'), 'unet');
  assert.ok(
    (unet.graph as GraphProto).initializer.every(
      (i) => i.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL,
    ),
  );
});

test('fp16 and already-int8 models are refused clearly', async (t) => {
  const dataDir = tempDataDir(t);
  await importModel({ dataDir, source: await fixtureModel('turbo-fp16') });
  await importModel({ dataDir, source: await fixtureModel('sd15-int8') });
  await assert.rejects(quantizeInstalled({ dataDir, id: 'turbo-fp16' }), {
    code: 'QUANTIZE_UNSUPPORTED',
    message: /"turbo-fp16" is fp16; int8 copies are made from fp32 models only/,
  });
  await assert.rejects(quantizeInstalled({ dataDir, id: 'sd15-int8' }), {
    code: 'QUANTIZE_UNSUPPORTED',
  });
  await assert.rejects(getInstalled(dataDir, 'turbo-fp16-int8'), { code: 'MODEL_NOT_INSTALLED' });
});

/** Moves every initializer of `dir`/model.onnx into one external file, as exporters do past 2 GB. */
async function externalize(dir: string, dataFile: string): Promise<void> {
  const model = onnx.ModelProto.decode(await readFile(path.join(dir, 'model.onnx')));
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const tensor of (model.graph as GraphProto).initializer) {
    const raw = tensor.rawData ?? new Uint8Array(0);
    // Exporters keep small tensors (shapes, scalars) inline: ORT needs those to infer shapes.
    if (tensor.dataType !== DataType.FLOAT || raw.length < 1024) continue;
    tensor.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
    tensor.externalData = [
      { key: 'location', value: dataFile },
      { key: 'offset', value: String(offset) },
      { key: 'length', value: String(raw.length) },
    ];
    tensor.rawData = new Uint8Array(0);
    chunks.push(raw);
    offset += raw.length;
  }
  await writeFile(path.join(dir, dataFile), Buffer.concat(chunks));
  await writeFile(path.join(dir, 'model.onnx'), onnx.ModelProto.encode(model).finish());
}
