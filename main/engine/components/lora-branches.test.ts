import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { Layers } from '../../graphs/layers.ts';
import { GraphBuilder } from '../../graphs/onnx-graph.ts';
import { loraInputNames } from '../../lora/types.ts';
import { LoraBranches } from './lora-branches.ts';

const LAYER = 'down_blocks.0.attentions.0.proj_in';

async function branchesOf(graph: GraphBuilder): Promise<LoraBranches> {
  const session = await ort.InferenceSession.create(graph.encode());
  return LoraBranches.of({ session, file: 'graph', displayName: 'graph' }, 'unet');
}

test('a built graph skips empty branches: its base feeds are rank 0', async () => {
  const g = new GraphBuilder('built', 1);
  const x = g.input('x', 'float32', [1, 4, 8]);
  g.output(new Layers(g, undefined, () => true).linear(x, LAYER, 8, 8), 'y', 'float32', [1, 4, 8]);
  const branches = await branchesOf(g);
  assert.equal(branches.targets[0]!.skipsRankZero, true);
  const { down, up } = loraInputNames(LAYER);
  assert.deepEqual(branches.feeds[down]!.dims, [0, 8]);
  assert.deepEqual(branches.feeds[up]!.dims, [8, 0]);
});

test('a graph built before the skip (rank axis `<layer>.rank`) is fed rank 1 of zeros', async () => {
  // Its branch as the builder wrote it then: always run, y = x·W + (x·downᵀ)·upᵀ.
  const g = new GraphBuilder('older', 1);
  const { down, up } = loraInputNames(LAYER);
  const x = g.input('x', 'float32', [1, 4, 8]);
  const d = g.input(down, 'float32', [`${LAYER}.rank`, 8]);
  const u = g.input(up, 'float32', [8, `${LAYER}.rank`]);
  const branch = g.matMul(g.matMul(x, g.transpose(d, [1, 0])), g.transpose(u, [1, 0]));
  g.output(g.add(g.matMul(x, g.weight('w', [8, 8], 8)), branch), 'y', 'float32', [1, 4, 8]);
  const branches = await branchesOf(g);
  assert.equal(branches.targets[0]!.skipsRankZero, false);
  assert.deepEqual(branches.feeds[down]!.dims, [1, 8]);
  assert.deepEqual(branches.feeds[up]!.dims, [8, 1]);
  assert.ok((branches.feeds[down]!.data as Float32Array).every((v) => v === 0));
});
