import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { Layers } from '../graphs/layers.ts';
import { GraphBuilder } from '../graphs/onnx-graph.ts';
import { relativeL2 } from '../testing/graphs/reference.ts';
import { nodesOf, onnx, precisionOf, type GraphProto } from './onnx-model.ts';
import { quantizeModel } from './quantize-graph.ts';

const [C, SIDE] = [16, 6];

/** A float conv then a linear over its tokens, both LoRA-slotted: their layers sit in If arms. */
function slottedGraph(): Uint8Array {
  const g = new GraphBuilder('slotted', 5);
  const nn = new Layers(g, undefined, () => true);
  const x = g.input('x', 'float32', [1, C, SIDE, SIDE]);
  const conv = nn.conv2d(x, 'conv', C, C);
  const tokens = g.transpose(g.reshape(conv, [0, C, -1]), [0, 2, 1]);
  g.output(nn.linear(tokens, 'fc', C, C), 'y', 'float32', [1, SIDE * SIDE, C]);
  return g.encode();
}

function feeds(rank: number): Record<string, ort.Tensor> {
  const values = (n: number, scale: number) =>
    Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.7) * scale);
  const tensor = (dims: number[], scale: number) =>
    new ort.Tensor(
      'float32',
      values(
        dims.reduce((a, b) => a * b, 1),
        scale,
      ),
      dims,
    );
  return {
    x: tensor([1, C, SIDE, SIDE], 1),
    'lora.conv.down': tensor([rank, C, 3, 3], 0.1),
    'lora.conv.up': tensor([C, rank, 1, 1], 0.1),
    'lora.fc.down': tensor([rank, C], 0.1),
    'lora.fc.up': tensor([C, rank], 0.1),
  };
}

test('layers inside If arms are quantized in each arm, and the int8 graph follows fp32 with and without a LoRA', async () => {
  const float = slottedGraph();
  const model = onnx.ModelProto.decode(float);
  const stats = await quantizeModel(model, tmpdir(), 'slotted');
  const graph = model.graph as GraphProto;
  // Each layer is written in both arms of its If: with its branch and without.
  assert.deepEqual(stats, { matMuls: 2, convs: 2 });
  assert.equal(precisionOf(model), 'int8');
  const weights = new Set(graph.initializer.map((t) => t.name));
  const floatWeightOps = nodesOf(graph).filter(
    (n) => (n.opType === 'MatMul' || n.opType === 'Conv') && weights.has(n.input![1]!),
  );
  assert.deepEqual(floatWeightOps, []);
  assert.ok(!weights.has('conv.weight') && !weights.has('fc.weight'), 'float weights dropped');

  const fp32 = await ort.InferenceSession.create(float);
  const int8 = await ort.InferenceSession.create(onnx.ModelProto.encode(model).finish());
  for (const rank of [0, 2]) {
    const expected = (await fp32.run(feeds(rank))).y!.data as Float32Array;
    const got = (await int8.run(feeds(rank))).y!.data as Float32Array;
    const error = relativeL2(got, expected);
    assert.ok(error > 0 && error < 0.05, `rank ${rank}: relative error ${error}`);
  }
});
