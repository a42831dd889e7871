/**
 * fp16 → fp32 for one ONNX file, for CPUs: onnxruntime's CPU provider runs an fp16 SD-Turbo UNet
 * slower than the fp32 one (3.2 s against 2.8 s a call here), and int8 copies are quantized from
 * fp32 weights. Every place a graph fixes float16 is rewritten to float:
 *   - initializers, sparse initializers and tensor attributes (Constant, ConstantOfShape `value`)
 *   - the elem_type of graph inputs, outputs and value_info
 *   - element-type attributes: Cast `to`, RandomNormalLike / EyeLike / Multinomial `dtype`
 * in the main graph, its subgraphs (If, Loop, Scan) and the model's local functions. A Cast that
 * becomes float → float is left in place: onnxruntime's CastElimination drops it at load.
 * A model past 2 GB once upcast (an SD UNet: 1.7 GB fp16, 3.4 GB fp32) gets its weights as ONNX
 * external data in `<file>_data`, converted and written one at a time, never all held in both
 * precisions.
 */
import { mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type onnxProto from 'onnx-proto';
import { float16BitsToFloat32 } from '../engine/onnx/float16.ts';
import type { ModelErrorCode } from './errors.ts';
import { ExternalDataReader, ExternalDataWriter } from './external-data.ts';
import { listModelFiles } from './manifest.ts';
import {
  DataType,
  onnx,
  readOnnx,
  type INodeProto,
  type ITensorProto,
  type ModelProto,
} from './onnx-model.ts';

type IGraphProto = onnxProto.onnx.IGraphProto;
type ITypeProto = onnxProto.onnx.ITypeProto;

/** onnx.save_model's default size_threshold: smaller tensors stay inline. */
const EXTERNAL_MIN_BYTES = 1024;
/** protobuf's 2 GB limit for one file, less room for the graph itself. */
const INLINE_MAX_BYTES = 2 ** 31 - 2 ** 26;
/** Bytes per element after the upcast, by ONNX data type (others count as 8: an upper bound). */
const ELEMENT_BYTES = new Map<number, number>([
  [DataType.FLOAT, 4],
  [DataType.FLOAT16, 4],
  [DataType.INT32, 4],
  [DataType.UINT32, 4],
  [DataType.INT16, 2],
  [DataType.UINT16, 2],
  [DataType.BFLOAT16, 2],
  [DataType.INT8, 1],
  [DataType.UINT8, 1],
  [DataType.BOOL, 1],
]);
/** The attributes that name an element type (Cast, EyeLike, Multinomial, Random*, Bernoulli). */
const ELEMENT_TYPE_ATTRIBUTES = new Set(['to', 'dtype']);

export interface Upcast {
  /** The source's external data files, relative to its folder: the upcast file replaces them. */
  dataFiles: string[];
}

export interface UpcastOptions {
  /**
   * 'when-needed' (the default) writes external data only past protobuf's 2 GB, as torch.onnx
   * and Optimum export: a VAE stays one file (the engine rewrites a sampling encoder in memory,
   * which it cannot do to one whose weights are elsewhere). 'always' moves every tensor of
   * 1 KiB and more out, so a reader (quantize-graph) can take the weights one at a time.
   */
  externalData?: 'when-needed' | 'always';
}

/**
 * Writes `to` (and `to`_data): the fp32 twin of the model in `from`. Null, and nothing written,
 * when the model holds no float16 at all.
 */
export async function upcastOnnxFile(
  from: string,
  to: string,
  displayName: string,
  errorCode: ModelErrorCode,
  options: UpcastOptions = {},
): Promise<Upcast | null> {
  const model = await readOnnx(from, displayName);
  const found = rewriteTypes(model);
  if (found.rewrites === 0 && found.halfTensors.length === 0) return null;
  const external =
    options.externalData === 'always' ||
    found.initializers.reduce((n, t) => n + fp32Bytes(t), 0) > INLINE_MAX_BYTES;

  const reader = new ExternalDataReader(path.dirname(from), displayName, errorCode);
  const writer = new ExternalDataWriter(`${to}_data`);
  try {
    const initializers = new Set(found.initializers);
    for (const tensor of [...found.initializers, ...found.halfTensors]) {
      await reader.inline(tensor);
      if (tensor.dataType === DataType.FLOAT16) toFloat32(tensor);
      const big = (tensor.rawData?.length ?? 0) >= EXTERNAL_MIN_BYTES;
      if (external && big && initializers.has(tensor)) await writer.append(tensor);
    }
    await writer.close();
    await writeFile(to, onnx.ModelProto.encode(model).finish(), { flag: 'wx' });
    return { dataFiles: reader.locations };
  } catch (error) {
    await writer.discard();
    throw error;
  } finally {
    await reader.close();
  }
}

/** A tensor's size once upcast: float16 elements take 4 bytes. */
function fp32Bytes(tensor: ITensorProto): number {
  const elements = (tensor.dims ?? []).reduce<number>((n, d) => n * Number(d), 1);
  return elements * (ELEMENT_BYTES.get(tensor.dataType ?? 0) ?? 8);
}

/** What `upcastFolder` did, with paths relative to the model folders. */
export interface FolderUpcast {
  /** Source files the upcast ones replace: fp16 graphs and their external data. */
  replaced: Set<string>;
  /** Files written into the target folder. */
  written: string[];
}

/** Writes the fp32 twin of every .onnx file in `source` that holds float16 into `target`. */
export async function upcastFolder(
  source: string,
  target: string,
  errorCode: ModelErrorCode,
  signal?: AbortSignal,
): Promise<FolderUpcast> {
  const result: FolderUpcast = { replaced: new Set(), written: [] };
  for (const relative of (await listModelFiles(source)).filter((f) => f.endsWith('.onnx'))) {
    signal?.throwIfAborted();
    const to = path.join(target, ...relative.split('/'));
    await mkdir(path.dirname(to), { recursive: true });
    const upcast = await upcastOnnxFile(
      path.join(source, ...relative.split('/')),
      to,
      relative,
      errorCode,
    );
    if (!upcast) continue;
    const folder = path.posix.dirname(relative);
    result.replaced.add(relative);
    for (const file of upcast.dataFiles) result.replaced.add(path.posix.join(folder, file));
    result.written.push(relative);
    const data = await stat(`${to}_data`).catch(() => undefined);
    if (data) result.written.push(`${relative}_data`);
  }
  return result;
}

/** float16 bits (raw_data, or one per int32_data entry) → float32 raw_data. */
function toFloat32(tensor: ITensorProto): void {
  const raw = tensor.rawData;
  const bits =
    raw && raw.length > 0
      ? new Uint16Array(new Uint8Array(raw).buffer) // raw_data sits unaligned in the protobuf
      : Uint16Array.from(tensor.int32Data ?? []);
  const floats = float16BitsToFloat32(bits);
  tensor.dataType = DataType.FLOAT;
  tensor.rawData = new Uint8Array(floats.buffer);
  tensor.int32Data = [];
}

interface Found {
  /** Every initializer, of every graph: all move to the new data file or stay inline. */
  initializers: ITensorProto[];
  /** float16 tensors outside the initializer list (attributes, sparse values). */
  halfTensors: ITensorProto[];
  /** Types and element-type attributes changed, and float16 initializers. */
  rewrites: number;
}

/** The in-memory part of the upcast, no I/O: types and attributes now, tensors listed for later. */
function rewriteTypes(model: ModelProto): Found {
  const found: Found = { initializers: [], halfTensors: [], rewrites: 0 };
  const half = (tensor: ITensorProto | null | undefined): void => {
    if (tensor?.dataType === DataType.FLOAT16) found.halfTensors.push(tensor);
  };
  const type = (t: ITypeProto | null | undefined): void => {
    if (!t) return;
    const tensor = t.tensorType ?? t.sparseTensorType;
    if (tensor?.elemType === DataType.FLOAT16) {
      tensor.elemType = DataType.FLOAT;
      found.rewrites++;
    }
    type(t.sequenceType?.elemType);
    type(t.optionalType?.elemType);
    type(t.mapType?.valueType);
  };
  const node = (n: INodeProto): void => {
    for (const a of n.attribute ?? []) {
      const isElementType =
        a.type === onnx.AttributeProto.AttributeType.INT && ELEMENT_TYPE_ATTRIBUTES.has(a.name!);
      if (isElementType && Number(a.i) === DataType.FLOAT16) {
        a.i = DataType.FLOAT;
        found.rewrites++;
      }
      half(a.t);
      a.tensors?.forEach(half);
      half(a.sparseTensor?.values);
      a.sparseTensors?.forEach((s) => half(s.values));
      type(a.tp);
      a.typeProtos?.forEach(type);
      if (a.g) graph(a.g);
      a.graphs?.forEach(graph);
    }
  };
  const graph = (g: IGraphProto): void => {
    for (const tensor of g.initializer ?? []) {
      found.initializers.push(tensor);
      if (tensor.dataType === DataType.FLOAT16) found.rewrites++;
    }
    g.sparseInitializer?.forEach((s) => half(s.values));
    for (const value of [...(g.input ?? []), ...(g.output ?? []), ...(g.valueInfo ?? [])])
      type(value.type);
    g.node?.forEach(node);
  };
  if (model.graph) graph(model.graph);
  model.functions?.forEach((f) => f.node?.forEach(node));
  return found;
}
