import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { fixtureModel } from '../../scripts/fixtures/cache.ts';
import { loadModel } from '../engine/model.ts';
import { copyOfFixture } from '../testing/engine/model-copies.ts';
import { tempDataDir } from '../testing/store.ts';
import { importModel } from './import.ts';
import { DataType, onnx, precisionOf, readOnnx, type GraphProto } from './onnx-model.ts';
import { externalize } from '../testing/models/externalize.ts';
import { quantizeInstalled } from './quantize.ts';
import { getInstalled, listInstalled, verifyInstalled } from './registry.ts';

const SMALL = { latentSize: 8, runs: 1 };
/** Dynamic int8 against float on the tiny fixtures, on any x86 CPU (see the first test). */
const INT8_TOLERANCE = 0.1;

test('an int8 copy of a fixture loads, runs, and reports its error against fp32', async (t) => {
  const dataDir = tempDataDir(t);
  await importModel({ dataDir, source: await fixtureModel('turbo') });
  const { model, report } = await quantizeInstalled({ dataDir, id: 'turbo', ...SMALL });

  assert.equal(model.manifest.id, 'turbo-int8');
  assert.equal(model.manifest.precision, 'int8');
  assert.equal(model.manifest.source, 'quantized');
  assert.equal(model.manifest.quantizedFrom, 'turbo');
  assert.deepEqual(model.manifest.quantization, report);
  // 8-bit weights and activations: close to fp32, but not equal to it. CPUs whose u8s8 kernels
  // saturate get 7-bit weights (int8-kernel.ts), so they stay within the same bound.
  for (const error of [report.textEncoderError, report.unetError]) {
    assert.ok(error > 0 && error < INT8_TOLERANCE, `relative error ${error}`);
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
  assert.ok(report.unetError < INT8_TOLERANCE, `relative error ${report.unetError}`);
  assert.ok(!model.manifest.files.some((f) => f.path === 'unet/weights.pb'));
  const unet = await readOnnx(path.join(model.dir, 'unet/model.onnx'), 'unet');
  assert.ok(
    (unet.graph as GraphProto).initializer.every(
      (i) => i.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL,
    ),
  );
});

test('an fp16 model (fp16 I/O, weights in weights.pb) is upcast, quantized and measured against fp16', async (t) => {
  const dataDir = tempDataDir(t);
  const source = await copyOfFixture('turbo-fp16-io');
  await externalize(path.join(source, 'unet'), 'weights.pb');
  await importModel({ dataDir, source, id: 'half' });
  const { model, report } = await quantizeInstalled({ dataDir, id: 'half', ...SMALL });

  assert.equal(model.manifest.precision, 'int8');
  assert.equal(report.reference, 'fp16');
  for (const error of [report.textEncoderError, report.unetError]) {
    assert.ok(error > 0 && error < INT8_TOLERANCE, `relative error ${error}`);
  }
  assert.ok(report.speedup > 0 && report.unetMs.fp32 > 0 && report.unetMs.int8 > 0);
  // Nothing fp16 is left: the autoencoders are upcast too, the scratch fp32 UNet is gone.
  for (const component of ['text_encoder', 'unet', 'vae_encoder', 'vae_decoder']) {
    const graph = (await readOnnx(path.join(model.dir, component, 'model.onnx'), component))
      .graph as GraphProto;
    assert.ok(!graph.initializer.some((i) => i.dataType === DataType.FLOAT16), component);
    for (const io of [...graph.input, ...graph.output])
      assert.notEqual(io.type?.tensorType?.elemType, DataType.FLOAT16, `${component} ${io.name}`);
  }
  assert.deepEqual(
    model.manifest.files.map((f) => f.path).filter((p) => /weights\.pb|^\.fp32/.test(p)),
    [],
  );
  assert.ok(!(await readdir(model.dir)).includes('.fp32'));
  assert.deepEqual((await verifyInstalled(dataDir, 'half')).problems, []);
  const loaded = await loadModel({ dir: model.dir });
  await loaded.release();
});

test('already-int8 models are refused clearly', async (t) => {
  const dataDir = tempDataDir(t);
  await importModel({ dataDir, source: await fixtureModel('sd15-int8') });
  await assert.rejects(quantizeInstalled({ dataDir, id: 'sd15-int8' }), {
    code: 'QUANTIZE_UNSUPPORTED',
    message: /"sd15-int8" is already int8/,
  });
  await assert.rejects(getInstalled(dataDir, 'sd15-int8-int8'), { code: 'MODEL_NOT_INSTALLED' });
});
