/**
 * Reading LoRA files (safetensors from strangers: community sites, trainers) into their layers.
 * Everything the app cannot apply faithfully is refused here, naming the key: a LoRA applied in
 * part would change a style silently. Only the header is needed to tell what a file is, so a
 * model manager lists LoRAs without reading their weights.
 */
import fs from 'node:fs';
import path from 'node:path';
import { SafetensorsFile, type TensorInfo } from '../weights/safetensors.ts';
import { LoraError } from './errors.ts';
import { baseOfWidth, metadataBase } from './lora-base.ts';
import { readLoraKey, SDXL_REFUSAL, type LoraFormat, type LoraPart } from './lora-keys.ts';
import { LORA_COMPONENTS, type LoraBase, type LoraComponent, type LoraTensor } from './types.ts';

export interface LoraLayer {
  /** The file's key prefix for this layer (every one of its tensors starts with it), for messages. */
  key: string;
  component: LoraComponent;
  /** kohya: the underscored module name; peft: the module path as the model's targets name it. */
  name: string;
  /** PyTorch's layout, as stored: [rank, in] or [rank, in, k, k]. */
  down: LoraTensor;
  /** [out, rank] or [out, rank, 1, 1]. */
  up: LoraTensor;
  /** The branch is (alpha / rank) · up · down at scale 1. */
  alpha: number;
  rank: number;
}

export interface LoraFile {
  file: string;
  format: LoraFormat;
  layers: LoraLayer[];
  /** The model line it was trained for, where its metadata or widths tell. */
  base: LoraBase | undefined;
  /** The header's `__metadata__` (a trainer's settings, a licence). */
  metadata: Readonly<Record<string, string>>;
}

/** What a model manager lists for a LoRA, from its header alone. */
export interface LoraSummary {
  format: LoraFormat;
  base: LoraBase | undefined;
  layers: number;
  /** The distinct ranks of its layers, ascending. */
  ranks: number[];
  components: LoraComponent[];
  bytes: number;
}

/** A layer as the header describes it: its matrices still unread, its alpha read and checked. */
interface LayerEntry extends Omit<LoraLayer, 'down' | 'up'> {
  down: TensorInfo;
  up: TensorInfo;
}

/** Every layer of a LoRA file, its matrices as float32; throws a LoraError naming the key at fault. */
export function readLora(file: string): LoraFile {
  return withSafetensors(file, (st) => {
    const { format, layers, base } = describeLora(st);
    return {
      file,
      format,
      base,
      metadata: st.metadata,
      layers: layers.map(({ down, up, ...layer }) => ({
        ...layer,
        down: { data: st.readFloat32(down.name), dims: [...down.shape] },
        up: { data: st.readFloat32(up.name), dims: [...up.shape] },
      })),
    };
  });
}

/** readLora's checks and a summary, reading no more than the header and the alphas. */
export function inspectLora(file: string): LoraSummary {
  return withSafetensors(file, (st) => {
    const { format, layers, base } = describeLora(st);
    return {
      format,
      base,
      layers: layers.length,
      ranks: [...new Set(layers.map((layer) => layer.rank))].sort((a, b) => a - b),
      components: LORA_COMPONENTS.filter((c) => layers.some((layer) => layer.component === c)),
      bytes: fs.statSync(file).size,
    };
  });
}

/**
 * Whether a safetensors file holds LoRA keys (a full checkpoint holds none), from its header; an
 * SDXL LoRA or a LoHa counts, for readLora to refuse by name. Throws LORA_UNREADABLE when the file
 * is no safetensors file at all.
 */
export function isLoraFile(file: string): boolean {
  return withSafetensors(file, (st) => st.list().some((t) => readLoraKey(t.name) !== undefined));
}

function withSafetensors<T>(file: string, use: (st: SafetensorsFile) => T): T {
  const unreadable = (error: unknown) =>
    new LoraError(
      'LORA_UNREADABLE',
      `${path.basename(file)} cannot be read as a LoRA: ${(error as Error).message}`,
      file,
    );
  let st: SafetensorsFile;
  try {
    st = SafetensorsFile.open(file);
  } catch (error) {
    throw unreadable(error);
  }
  try {
    return use(st);
  } catch (error) {
    throw error instanceof LoraError ? error : unreadable(error);
  } finally {
    st.close();
  }
}

function describeLora(st: SafetensorsFile): {
  format: LoraFormat;
  layers: LayerEntry[];
  base: LoraBase | undefined;
} {
  const name = path.basename(st.file);
  const refuse = (why: string) => new LoraError('LORA_UNSUPPORTED', `${name} ${why}`, st.file);
  const tensors = st.list();
  const groups = new Map<string, LayerParts>();
  let format: LoraFormat | undefined;
  let foreign: string | undefined;
  for (const tensor of tensors) {
    const key = readLoraKey(tensor.name);
    if (key === undefined) {
      foreign ??= tensor.name;
      continue;
    }
    if ('refused' in key) throw refuse(`${key.refused} (key "${tensor.name}")`);
    format ??= key.format;
    // One naming per file: the layers are matched to the model by that naming's rules.
    if (key.format !== format) {
      throw refuse(`mixes kohya and diffusers key names (key "${tensor.name}")`);
    }
    const group = groups.get(key.layer) ?? { key };
    group[key.part] = tensor;
    groups.set(key.layer, group);
  }
  if (format === undefined) {
    throw refuse(
      tensors[0]
        ? `is not a LoRA: it holds no LoRA weights (its first tensor is "${tensors[0].name}")`
        : 'is not a LoRA: it holds no tensors',
    );
  }
  if (foreign !== undefined) throw refuse(`holds "${foreign}", which is no part of a LoRA`);
  const recorded = metadataBase(st.metadata);
  if (recorded === 'sdxl') {
    const version = st.metadata['ss_base_model_version'];
    throw refuse(`${SDXL_REFUSAL} (its metadata says ss_base_model_version "${version}")`);
  }
  const layers = [...groups.values()].map((group) => layerEntry(st, name, group));
  return { format, layers, base: recorded ?? widthBase(layers) };
}

interface LayerParts {
  key: LoraPart;
  down?: TensorInfo;
  up?: TensorInfo;
  alpha?: TensorInfo;
}

function layerEntry(st: SafetensorsFile, name: string, parts: LayerParts): LayerEntry {
  const { key, down, up, alpha } = parts;
  if (!down || !up) {
    const present = (down ?? up ?? alpha)!.name;
    throw new LoraError(
      'LORA_UNREADABLE',
      `${name} is incomplete: "${present}" has no ${down ? 'up' : 'down'} weight to go with it`,
      st.file,
    );
  }
  const [d, u] = [down.shape, up.shape];
  const lowRank =
    (d.length === 2 || (d.length === 4 && d[2] === d[3])) &&
    (u.length === 2 || (u.length === 4 && u[2] === 1 && u[3] === 1)) &&
    d[0]! > 0 &&
    d[0] === u[1];
  if (!lowRank) {
    throw new LoraError(
      'LORA_SHAPE',
      `${name}: "${down.name}" is [${d.join(', ')}] and "${up.name}" [${u.join(', ')}], not a down and an up of one rank`,
      st.file,
    );
  }
  const rank = d[0]!;
  return {
    key: key.layer,
    component: key.component,
    name: key.name,
    down,
    up,
    alpha: alpha ? readAlpha(st, name, alpha) : rank,
    rank,
  };
}

function readAlpha(st: SafetensorsFile, name: string, alpha: TensorInfo): number {
  const values = st.readFloat32(alpha.name);
  const value = values[0];
  if (values.length !== 1 || !Number.isFinite(value) || !(value! > 0)) {
    throw new LoraError(
      'LORA_UNREADABLE',
      `${name}: "${alpha.name}" is ${values.length === 1 ? value : `[${alpha.shape.join(', ')}]`}; an alpha is one positive number`,
      st.file,
    );
  }
  return value!;
}

/**
 * The line the LoRA's widths tell: a text-encoder layer reading CLIP's width, or a cross-attention
 * key/value reading the text embeddings. Undefined for a LoRA that touches neither (or tiny models).
 */
function widthBase(layers: readonly LayerEntry[]): LoraBase | undefined {
  return layers
    .filter((l) => l.component === 'text_encoder' || /attn2[._]to_[kv]$/.test(l.name))
    .map((l) => baseOfWidth(l.down.shape[1]!))
    .find((base) => base !== undefined);
}
