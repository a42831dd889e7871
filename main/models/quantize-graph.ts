/**
 * Dynamic int8 quantization of one ONNX graph, in plain Node, writing exactly the pattern
 * onnxruntime.quantization.quantize_dynamic writes (activations quantized at run time by
 * DynamicQuantizeLinear; MatMul weights per column, Conv weights per tensor):
 *   MatMul(A, W)   → MatMulInteger(A_q, W_int8, A_zp, 0) → Cast(float) → Mul(A_scale · W_scale)
 *   Conv(X, W, b)  → ConvInteger(X_q, W_uint8, X_zp, W_zp) → Cast → Mul(X_scale · W_scale) → Add(b)
 * MatMul weights are symmetric int8; Conv weights uint8, the only type ORT's CPU ConvInteger takes.
 * Subgraphs are rewritten too: a built graph's LoRA-slotted layers sit inside If arms.
 */
import { ModelError } from './errors.ts';
import { ExternalDataReader } from './external-data.ts';
import { int8Weights, type Int8Weights } from './int8-kernel.ts';
import {
  DataType,
  nodesOf,
  onnx,
  subgraphsOf,
  type GraphProto,
  type INodeProto,
  type ITensorProto,
  type ModelProto,
} from './onnx-model.ts';

/** DynamicQuantizeLinear, MatMulInteger and ConvInteger are in the default domain from opset 11. */
const MIN_OPSET = 11;

export interface QuantizeStats {
  matMuls: number;
  convs: number;
}

export interface Quantized {
  values: Int8Array | Uint8Array;
  /** One scale, or one per output column (a [columns] tensor in the graph). */
  scales: Float32Array;
  zeroPoint: number;
}

/**
 * Symmetric int8 over [-limit, limit] per output column of a row-major [rows, columns] MatMul
 * weight, zero point 0: quantize_dynamic's QInt8 with per_channel, and with limit 63 its
 * reduce_range, for kernels that saturate (int8-kernel.ts). The zero point stays one scalar, so
 * MatMulInteger runs the same kernel as per-tensor; only the dequantizing Mul broadcasts the
 * scales. Per column, a column of small weights keeps its resolution (half of it under limit 63).
 */
export function quantizeInt8(
  w: Float32Array,
  columns: number,
  limit: Int8Weights['limit'],
): Quantized {
  const scales = new Float32Array(columns);
  for (let i = 0; i < w.length; i++) {
    const c = i % columns;
    scales[c] = Math.max(scales[c]!, Math.abs(w[i]!));
  }
  scales.forEach((max, c) => (scales[c] = max / limit || 1));
  const values = new Int8Array(w.length);
  for (let i = 0; i < w.length; i++) values[i] = Math.round(w[i]! / scales[i % columns]!);
  return { values, scales, zeroPoint: 0 };
}

/** The scales' tensor shape: a scalar, or [columns]. */
export function scaleDims(q: Quantized): number[] {
  return q.scales.length === 1 ? [] : [q.scales.length];
}

/** Asymmetric uint8 over [min(w, 0), max(w, 0)], so 0 stays exact (padding, ReLU zeros). */
export function quantizeUint8(w: Float32Array): Quantized {
  let lo = 0;
  let hi = 0;
  for (const v of w) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const scale = (hi - lo) / 255 || 1;
  const zeroPoint = Math.round(-lo / scale);
  const clamped = new Uint8ClampedArray(w.length); // saturates, as quantization does
  for (let i = 0; i < w.length; i++) clamped[i] = Math.round(w[i]! / scale) + zeroPoint;
  return { values: new Uint8Array(clamped.buffer), scales: Float32Array.of(scale), zeroPoint };
}

/**
 * One DynamicQuantizeLinear per activation and graph scope, shared by its readers there (K and
 * V read one context). A subgraph sees what its outer graph quantized before it, never the
 * reverse; its own are suffixed so sibling arms do not define one name twice.
 */
class Scope {
  private readonly quantized = new Map<string, [string, string, string]>();
  readonly nodes: INodeProto[] = [];
  constructor(
    private readonly suffix: string,
    private readonly outer?: Scope,
  ) {}

  find(input: string): [string, string, string] | undefined {
    return this.quantized.get(input) ?? this.outer?.find(input);
  }

  quantizeInput(input: string): [string, string, string] {
    let q = this.find(input);
    if (!q) {
      const name = `${input}${this.suffix}`;
      q = [`${name}_quantized`, `${name}_scale`, `${name}_zero_point`];
      this.nodes.push({
        name: `${name}_QuantizeLinear`,
        opType: 'DynamicQuantizeLinear',
        input: [input],
        output: q,
      });
      this.quantized.set(input, q);
    }
    return q;
  }
}

/**
 * Quantizes `model` in place. Weights stored as external data (model.onnx_data, weights.pb) are
 * read from `dir` and written inline: the int8 graph is a quarter of the size and fits in one file.
 * fp16 weights are refused: upcast them first (upcast-fp16.ts).
 */
export async function quantizeModel(
  model: ModelProto,
  dir: string,
  displayName: string,
): Promise<QuantizeStats> {
  const graph = model.graph as GraphProto | null;
  if (!graph) throw unsupported(displayName, 'has no graph');
  const opset = model.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx')?.version;
  if (opset === undefined || opset === null || Number(opset) < MIN_OPSET) {
    throw unsupported(
      displayName,
      `uses opset ${String(opset)}; dynamic quantization needs ${MIN_OPSET} or later`,
    );
  }
  if (graph.initializer.some((t) => t.dataType === DataType.FLOAT16)) {
    throw unsupported(displayName, 'has fp16 weights; upcast it to fp32 before quantizing');
  }

  const { limit } = await int8Weights();
  const external = new ExternalDataReader(dir, displayName, 'QUANTIZE_UNSUPPORTED');
  try {
    const initializers = new Map(graph.initializer.map((t) => [t.name, t]));
    // Readers left per weight: once all were rewritten, its float bytes can be let go at once.
    const readers = new Map<string, number>();
    for (const node of nodesOf(graph)) {
      for (const input of node.input ?? []) readers.set(input, (readers.get(input) ?? 0) + 1);
    }
    const added: ITensorProto[] = [];
    const quantizedWeights = new Map<string, [string, string, string]>();
    const stats: QuantizeStats = { matMuls: 0, convs: 0 };

    const constant = (name: string, dataType: number, dims: number[], raw: ArrayBufferView) => {
      const rawData = new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
      added.push({ name, dataType, dims, rawData });
      return name;
    };
    let scopes = 0;
    const quantizeWeight = async (tensor: ITensorProto, kind: 'int8' | 'uint8') => {
      const name = tensor.name!;
      let q = quantizedWeights.get(name);
      if (!q) {
        const floats = await external.floatsOf(tensor);
        const w =
          kind === 'int8'
            ? quantizeInt8(floats, Number(tensor.dims![1]), limit)
            : quantizeUint8(floats);
        const type = kind === 'int8' ? DataType.INT8 : DataType.UINT8;
        const zero = kind === 'int8' ? Int8Array.of(w.zeroPoint) : Uint8Array.of(w.zeroPoint);
        q = [
          constant(`${name}_quantized`, type, (tensor.dims ?? []).map(Number), w.values),
          constant(`${name}_scale`, DataType.FLOAT, scaleDims(w), w.scales),
          constant(`${name}_zero_point`, type, [], zero),
        ];
        quantizedWeights.set(name, q);
      }
      const left = readers.get(name)! - 1;
      readers.set(name, left);
      if (left === 0) tensor.rawData = new Uint8Array(0);
      return q;
    };
    /** int32 accumulator → float × (input scale · weight scale), written to `output`. */
    const dequantize = (
      nodes: INodeProto[],
      acc: string,
      inputScale: string,
      weightScale: string,
      output: string,
    ) => {
      nodes.push(
        {
          name: `${acc}_cast`,
          opType: 'Cast',
          input: [acc],
          output: [`${acc}_float`],
          attribute: [
            { name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: DataType.FLOAT },
          ],
        },
        {
          name: `${acc}_scales`,
          opType: 'Mul',
          input: [inputScale, weightScale],
          output: [`${acc}_scale`],
        },
        {
          name: `${acc}_dequantize`,
          opType: 'Mul',
          input: [`${acc}_float`, `${acc}_scale`],
          output: [output],
        },
      );
    };
    const floatWeight = (name: string | undefined, rank: number): ITensorProto | undefined => {
      const tensor = name ? initializers.get(name) : undefined;
      return tensor?.dataType === DataType.FLOAT && tensor.dims?.length === rank
        ? tensor
        : undefined;
    };

    const rewrite = async (list: readonly INodeProto[], scope: Scope): Promise<INodeProto[]> => {
      const nodes = scope.nodes;
      for (const node of list) {
        const [x, w, bias] = node.input ?? [];
        const output = node.output![0]!;
        const isActivation = x !== undefined && !initializers.has(x);
        const matMulWeight = node.opType === 'MatMul' ? floatWeight(w, 2) : undefined;
        const convWeight = node.opType === 'Conv' ? floatWeight(w, 4) : undefined;
        const convBias = bias ? floatWeight(bias, 1) : undefined;
        if (isActivation && matMulWeight) {
          const [xq, xScale, xZero] = scope.quantizeInput(x);
          const [wq, wScale, wZero] = await quantizeWeight(matMulWeight, 'int8');
          const acc = `${output}_MatMulInteger`;
          nodes.push({
            name: acc,
            opType: 'MatMulInteger',
            input: [xq, wq, xZero, wZero],
            output: [acc],
          });
          dequantize(nodes, acc, xScale, wScale, output);
          stats.matMuls++;
        } else if (isActivation && convWeight && (!bias || convBias)) {
          const [xq, xScale, xZero] = scope.quantizeInput(x);
          const [wq, wScale, wZero] = await quantizeWeight(convWeight, 'uint8');
          const acc = `${output}_ConvInteger`;
          nodes.push({
            name: acc,
            opType: 'ConvInteger',
            input: [xq, wq, xZero, wZero],
            output: [acc],
            attribute: node.attribute,
          });
          if (convBias) {
            dequantize(nodes, acc, xScale, wScale, `${acc}_unbiased`);
            // [C] → [C, 1, 1]: Conv adds its bias per channel; Add must broadcast over H and W.
            const channels = Number(convWeight.dims![0]);
            const values = await external.floatsOf(convBias);
            const reshaped = constant(`${bias}_reshaped`, DataType.FLOAT, [channels, 1, 1], values);
            nodes.push({
              name: `${acc}_bias`,
              opType: 'Add',
              input: [`${acc}_unbiased`, reshaped],
              output: [output],
            });
          } else {
            dequantize(nodes, acc, xScale, wScale, output);
          }
          stats.convs++;
        } else {
          for (const sub of subgraphsOf(node)) {
            const inner = await rewrite(sub.node ?? [], new Scope(`_s${++scopes}`, scope));
            sub.node = inner.map((n) => onnx.NodeProto.create(n));
          }
          nodes.push(node);
        }
      }
      return nodes;
    };
    const nodes = await rewrite(graph.node, new Scope(''));

    // Float weights no node reads any more are dropped: they would double the file for nothing.
    const used = new Set(nodesOf({ node: nodes }).flatMap((n) => n.input ?? []));
    for (const output of graph.output) used.add(output.name!);
    const kept = graph.initializer.filter((t) => used.has(t.name!));
    for (const tensor of kept) await external.inline(tensor);
    graph.node = nodes.map((n) => onnx.NodeProto.create(n));
    graph.initializer = [...kept, ...added.map((t) => onnx.TensorProto.create(t))];
    // IR < 4 lists initializers as graph inputs too; a dropped one must leave that list.
    const names = new Set(graph.initializer.map((t) => t.name));
    graph.input = graph.input.filter((i) => names.has(i.name!) || !initializers.has(i.name!));
    return stats;
  } finally {
    await external.close();
  }
}

function unsupported(displayName: string, why: string): ModelError {
  return new ModelError('QUANTIZE_UNSUPPORTED', `${displayName} ${why}`, displayName);
}
