/**
 * A diffusers folder as the hub ships it (model_index.json; unet/, vae/, text_encoder/ with a
 * config.json and safetensors weights; tokenizer/, scheduler/): where each component's config
 * and weights are, before any graph is built from them.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { clipTextWeights } from '../../graphs/clip-text-encoder.ts';
import { CONFIG_MAX_BYTES } from '../../engine/model-folder.ts';
import { BoundedReadError, describeFault, readBoundedText } from '../../files/read-bounded.ts';
import { SafetensorsFile } from '../../weights/safetensors.ts';
import { type WeightSource, safetensorsWeights } from '../../weights/weight-source.ts';
import { ModelError } from '../errors.ts';

export const WEIGHT_COMPONENTS = ['text_encoder', 'unet', 'vae'] as const;
export type WeightComponent = (typeof WEIGHT_COMPONENTS)[number];

/** The weights file each component saves, by library: transformers' model, diffusers' model. */
const WEIGHT_STEMS: Readonly<Record<WeightComponent, string>> = {
  text_encoder: 'model',
  unet: 'diffusion_pytorch_model',
  vae: 'diffusion_pytorch_model',
};

/** A sharded index of a large UNet is a few hundred KB (configs: model-folder.ts's cap). */
const INDEX_MAX_BYTES = 16 * 1024 * 1024;

export interface ComponentWeights {
  readonly component: WeightComponent;
  /** The component's config.json, parsed. */
  readonly config: unknown;
  /** Its weights by parameter name (text-encoder names with or without `text_model.`). */
  readonly weights: WeightSource;
  /** The files read, relative to the folder (what a message or the manifest names). */
  readonly files: readonly string[];
  close(): void;
}

/** Whether `dir` looks like a diffusers folder with safetensors weights (not an ONNX export). */
export async function isDiffusersFolder(dir: string): Promise<boolean> {
  const unet = await readdir(path.join(dir, 'unet')).catch(() => [] as string[]);
  return unet.includes('config.json') && unet.some((name) => name.endsWith('.safetensors'));
}

/**
 * Opens one component. Full precision is read where both it and an fp16 variant are there (the
 * hub keeps both: `*.safetensors` and `*.fp16.safetensors`): a graph built from it loses nothing.
 * A sharded file is read through its `.safetensors.index.json`.
 */
export async function openComponent(
  dir: string,
  component: WeightComponent,
): Promise<ComponentWeights> {
  const folder = path.join(dir, component);
  const config = await readJson(dir, `${component}/config.json`, CONFIG_MAX_BYTES);
  const names = await readdir(folder).catch(() => [] as string[]);
  const stem = WEIGHT_STEMS[component];
  const candidates = [`${stem}.safetensors`, `${stem}.fp16.safetensors`];
  let relative = candidates.find((name) => names.includes(name));
  let shards: string[];
  if (relative) {
    shards = [relative];
  } else {
    relative = candidates.map((name) => `${name}.index.json`).find((name) => names.includes(name));
    if (!relative) {
      throw new ModelError(
        'IMPORT_UNSUPPORTED',
        `${component}/ in ${dir} holds no ${stem}.safetensors (or .fp16.safetensors): only safetensors weights are read, never pickled .bin files`,
        folder,
      );
    }
    shards = shardsOf(
      await readJson(dir, `${component}/${relative}`, INDEX_MAX_BYTES),
      component,
      relative,
    );
  }
  const files: SafetensorsFile[] = [];
  try {
    for (const shard of shards) files.push(SafetensorsFile.open(path.join(folder, shard)));
  } catch (error) {
    for (const file of files) file.close();
    throw error;
  }
  return {
    component,
    config,
    weights: component === 'text_encoder' ? clipTextWeights(files) : safetensorsWeights(files),
    files: shards.map((shard) => `${component}/${shard}`),
    close: () => files.forEach((file) => file.close()),
  };
}

function shardsOf(index: unknown, component: string, relative: string): string[] {
  const map = (index as { weight_map?: unknown } | null)?.weight_map;
  if (typeof map !== 'object' || map === null) {
    throw new ModelError(
      'IMPORT_UNSUPPORTED',
      `${component}/${relative} has no weight_map`,
      relative,
    );
  }
  const shards = [...new Set(Object.values(map as Record<string, unknown>))];
  for (const shard of shards) {
    // A shard is a file beside the index, never a path elsewhere.
    if (typeof shard !== 'string' || !/^[\w.-]+\.safetensors$/.test(shard)) {
      throw new ModelError(
        'IMPORT_UNSUPPORTED',
        `${component}/${relative} names a shard ${JSON.stringify(shard)} that is not a safetensors file beside it`,
        relative,
      );
    }
  }
  return shards as string[];
}

async function readJson(dir: string, relative: string, limit: number): Promise<unknown> {
  const file = path.join(dir, relative);
  let text: string;
  try {
    text = await readBoundedText(file, limit);
  } catch (error) {
    if (!(error instanceof BoundedReadError)) throw error;
    throw new ModelError(
      'IMPORT_UNSUPPORTED',
      `${relative} in ${dir} ${describeFault(error.fault, error.limit, error.errno)}`,
      file,
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ModelError(
      'IMPORT_UNSUPPORTED',
      `${relative} is not valid JSON: ${(error as Error).message}`,
      file,
    );
  }
}
