/** Reading ONNX graphs as data (onnx-proto), for what a session cannot tell: the weights' precision. */
import { readFile } from 'node:fs/promises';
import onnxProto from 'onnx-proto';
import { ModelError } from './errors.ts';
import type { Precision } from './manifest.ts';

export const { onnx } = onnxProto;
export type ModelProto = onnxProto.onnx.ModelProto;
export type GraphProto = onnxProto.onnx.GraphProto;
export const DataType = onnx.TensorProto.DataType;

/** Ops that only a quantized graph holds. */
const QUANTIZED_OPS = new Set([
  'MatMulInteger',
  'ConvInteger',
  'QLinearMatMul',
  'QLinearConv',
  'DynamicQuantizeLinear',
]);

export async function readOnnx(file: string, displayName: string): Promise<ModelProto> {
  try {
    return onnx.ModelProto.decode(await readFile(file));
  } catch (error) {
    throw new ModelError(
      'MANIFEST_INVALID',
      `${displayName} is not a readable ONNX model: ${(error as Error).message}`,
      file,
    );
  }
}

/** int8 when the graph runs integer ops; else fp16 when most float weights are half; else fp32. */
export function precisionOf(model: ModelProto): Precision {
  const graph = model.graph as GraphProto | null;
  if (graph && nodesOf(graph).some((n) => QUANTIZED_OPS.has(n.opType ?? ''))) return 'int8';
  let half = 0;
  let single = 0;
  for (const tensor of graph?.initializer ?? []) {
    if (tensor.dataType === DataType.FLOAT16) half++;
    else if (tensor.dataType === DataType.FLOAT) single++;
  }
  return half > single ? 'fp16' : 'fp32';
}

export type ITensorProto = onnxProto.onnx.ITensorProto;
export type INodeProto = onnxProto.onnx.INodeProto;
export type IGraphProto = onnxProto.onnx.IGraphProto;

/**
 * A graph's nodes and, after each, those of its subgraphs (If, Loop, Scan bodies), at any depth:
 * built graphs keep their LoRA-slotted layers inside If arms (main/graphs/layers.ts).
 */
export function nodesOf(graph: IGraphProto): INodeProto[] {
  return (graph.node ?? []).flatMap((node) => [node, ...subgraphsOf(node).flatMap(nodesOf)]);
}

/** The graphs a node's attributes hold: an If's two arms, a Loop's or Scan's body. */
export function subgraphsOf(node: INodeProto): IGraphProto[] {
  return (node.attribute ?? []).flatMap((a) => (a.g ? [a.g] : []).concat(a.graphs ?? []));
}
