/**
 * Builds a model folder in the ONNX layout the engine loads (text_encoder/, unet/, vae_encoder/,
 * vae_decoder/, tokenizer/, scheduler/) from weights: a diffusers folder of safetensors or a
 * single-file checkpoint. Each graph is built from its tensors one at a time (main/graphs); the
 * UNet and text encoder write theirs to external data as they go, so the model is never held
 * twice in memory.
 */
import { cp, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModelFamily } from '../../engine/types.ts';
import type { BuildOptions } from '../../graphs/build-options.ts';
import { parseClipTextConfig } from '../../graphs/clip-text-config.ts';
import { buildTextEncoder } from '../../graphs/clip-text-encoder.ts';
import { externalDataFile } from '../../graphs/external-data-file.ts';
import type { GraphBuilder } from '../../graphs/onnx-graph.ts';
import { int8Weights } from '../int8-kernel.ts';
import { parseUnetConfig } from '../../graphs/unet-config.ts';
import { buildUnet } from '../../graphs/unet.ts';
import { parseVaeConfig } from '../../graphs/vae-config.ts';
import { buildVaeDecoder, buildVaeEncoder } from '../../graphs/vae.ts';
import { inferCheckpointConfig } from '../../weights/checkpoint-config.ts';
import type { CheckpointArchitecture } from '../../weights/checkpoint-keys.ts';
import { checkpointWeights } from '../../weights/checkpoint-weights.ts';
import { SafetensorsFile } from '../../weights/safetensors.ts';
import type { WeightSource } from '../../weights/weight-source.ts';
import { type WeightComponent, openComponent } from './diffusers-folder.ts';

/** What the weights are built to: fp32 (the CPU's default), fp16 (a GPU's), int8 (as quantize makes). */
export type BuildPrecision = 'fp32' | 'fp16' | 'int8';

export interface BuildProgress {
  /** The ONNX component being written, e.g. "unet". */
  readonly component: string;
  /** Components finished, of all. */
  readonly done: number;
  readonly total: number;
}

export interface BuildFolderOptions {
  readonly precision?: BuildPrecision;
  /** A checkpoint's family (it carries no config); default: its architecture's (checkpoint-config.ts). */
  readonly family?: ModelFamily;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: BuildProgress) => void;
}

export interface BuiltFolder {
  /** A checkpoint's family as inferred (or overridden); undefined for a diffusers folder. */
  readonly family?: ModelFamily;
  /** What was read, relative to the source: shown to the user and kept in the manifest. */
  readonly sources: readonly string[];
}

/** The tokenizer and scheduler defaults the app ships for checkpoints, which carry neither. */
const DEFAULTS_DIR = fileURLToPath(new URL('../../../models', import.meta.url));

/** SD 2.x pads with "!", SD 1.x with the end-of-text token (their tokenizers' special_tokens_map). */
const PAD_TOKEN: Readonly<Record<CheckpointArchitecture, string>> = {
  sd1: '<|endoftext|>',
  sd2: '!',
};

/** The scaling factor SD 1.x and 2.x VAEs were trained with (their config's scaling_factor). */
const SD_VAE_SCALE = 0.18215;

interface Component {
  /** The folder written, e.g. "vae_encoder". */
  readonly name: string;
  readonly build: (options: BuildOptions) => GraphBuilder;
  /** Past protobuf's 2 GB in fp32 at full size: the UNet and OpenCLIP's text encoder. */
  readonly external: boolean;
  /** Not quantized under int8: the VAE loses 8-11% quantized (main/graphs/vae.test.ts). */
  readonly keepFloat?: boolean;
  /** Written beside model.onnx. */
  readonly config?: unknown;
}

/** Builds the diffusers folder `source` into `out`. */
export async function buildFromDiffusers(
  source: string,
  out: string,
  options: BuildFolderOptions = {},
): Promise<BuiltFolder> {
  const opened: Partial<Record<WeightComponent, Awaited<ReturnType<typeof openComponent>>>> = {};
  try {
    for (const component of ['text_encoder', 'unet', 'vae'] as const) {
      opened[component] = await openComponent(source, component);
    }
    const { text_encoder: text, unet, vae } = opened as Required<typeof opened>;
    const vaeConfig = parseVaeConfig(vae.config);
    const scale = (vae.config as { scaling_factor?: unknown }).scaling_factor ?? SD_VAE_SCALE;
    await buildComponents(
      out,
      components({
        text: (o) => buildTextEncoder(parseClipTextConfig(text.config), text.weights, o),
        unet: (o) => buildUnet(parseUnetConfig(unet.config), unet.weights, o),
        vaeEncoder: (o) => buildVaeEncoder(vaeConfig, vae.weights, o),
        vaeDecoder: (o) => buildVaeDecoder(vaeConfig, vae.weights, o),
        scale,
      }),
      options,
    );
    await cp(path.join(source, 'tokenizer'), path.join(out, 'tokenizer'), { recursive: true });
    await cp(path.join(source, 'scheduler'), path.join(out, 'scheduler'), { recursive: true });
    await cp(path.join(source, 'model_index.json'), path.join(out, 'model_index.json')).catch(
      () => undefined,
    );
    return { sources: [text, unet, vae].flatMap((c) => c.files) };
  } finally {
    for (const component of Object.values(opened)) component.close();
  }
}

/** Builds the single-file checkpoint `source` into `out`, with the family's shipped defaults. */
export async function buildFromCheckpoint(
  source: string,
  out: string,
  options: BuildFolderOptions = {},
): Promise<BuiltFolder> {
  const file = SafetensorsFile.open(source);
  try {
    const config = inferCheckpointConfig(file, options.family);
    const weights = (component: 'unet' | 'vae' | 'text_encoder'): WeightSource =>
      checkpointWeights(file, component);
    const vaeConfig = parseVaeConfig(config.vae);
    await buildComponents(
      out,
      components({
        text: (o) =>
          buildTextEncoder(parseClipTextConfig(config.text_encoder), weights('text_encoder'), o),
        unet: (o) => buildUnet(parseUnetConfig(config.unet), weights('unet'), o),
        vaeEncoder: (o) => buildVaeEncoder(vaeConfig, weights('vae'), o),
        vaeDecoder: (o) => buildVaeDecoder(vaeConfig, weights('vae'), o),
        scale: config.vae.scaling_factor,
      }),
      options,
    );
    await writeDefaults(out, config.family, config.architecture);
    return { family: config.family, sources: [path.basename(source)] };
  } finally {
    file.close();
  }
}

function components(parts: {
  text: Component['build'];
  unet: Component['build'];
  vaeEncoder: Component['build'];
  vaeDecoder: Component['build'];
  scale: unknown;
}): Component[] {
  const vaeConfig = { scaling_factor: parts.scale };
  return [
    { name: 'text_encoder', build: parts.text, external: true },
    { name: 'unet', build: parts.unet, external: true },
    {
      name: 'vae_encoder',
      build: parts.vaeEncoder,
      external: false,
      keepFloat: true,
      config: vaeConfig,
    },
    {
      name: 'vae_decoder',
      build: parts.vaeDecoder,
      external: false,
      keepFloat: true,
      config: vaeConfig,
    },
  ];
}

async function buildComponents(
  out: string,
  list: readonly Component[],
  options: BuildFolderOptions,
): Promise<void> {
  const precision = options.precision ?? 'fp32';
  const int8 = precision === 'int8' ? await int8Weights() : undefined;
  for (const [done, component] of list.entries()) {
    options.signal?.throwIfAborted();
    options.onProgress?.({ component: component.name, done, total: list.length });
    const folder = path.join(out, component.name);
    await mkdir(folder, { recursive: true });
    const external = component.external ? externalDataFile(folder, 'model.onnx_data') : undefined;
    try {
      const graph = component.build({
        floatType: precision === 'fp16' ? 'float16' : 'float32',
        quantized: component.keepFloat ? undefined : int8,
        ...(external ? { external } : {}),
      });
      await writeFile(path.join(folder, 'model.onnx'), graph.encode());
    } finally {
      external?.close();
    }
    if (component.config !== undefined) {
      await writeFile(
        path.join(folder, 'config.json'),
        `${JSON.stringify(component.config, null, 2)}\n`,
      );
    }
    // Let a cancel (a signal, Ctrl+C) in between components: each build itself runs to its end.
    await new Promise((resolve) => setImmediate(resolve));
  }
  options.onProgress?.({ component: 'done', done: list.length, total: list.length });
}

async function writeDefaults(
  out: string,
  family: ModelFamily,
  architecture: CheckpointArchitecture,
): Promise<void> {
  const tokenizer = path.join(out, 'tokenizer');
  await cp(path.join(DEFAULTS_DIR, 'clip-tokenizer'), tokenizer, { recursive: true });
  const special = {
    bos_token: '<|startoftext|>',
    eos_token: '<|endoftext|>',
    pad_token: PAD_TOKEN[architecture],
    unk_token: '<|endoftext|>',
  };
  await writeFile(
    path.join(tokenizer, 'special_tokens_map.json'),
    `${JSON.stringify(special, null, 2)}\n`,
  );
  await mkdir(path.join(out, 'scheduler'), { recursive: true });
  await cp(
    path.join(DEFAULTS_DIR, 'schedulers', `${family}.json`),
    path.join(out, 'scheduler', 'scheduler_config.json'),
  );
}
