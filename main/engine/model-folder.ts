import { stat } from 'node:fs/promises';
import path from 'node:path';
import { BoundedReadError, describeFault, readBoundedText } from '../files/read-bounded.ts';
import { EngineError } from './errors.ts';

export const AUTOENCODER_CHOICES = ['auto', 'full', 'tiny'] as const;
/**
 * full: the model's own VAE; tiny: TAESD (~20x cheaper on CPU); auto: TAESD when the model runs
 * on the CPU and the folder has both its halves, else the full VAE when present (model.ts).
 */
export type AutoencoderChoice = (typeof AUTOENCODER_CHOICES)[number];

/** One ONNX file of the folder, with the name users see in messages. */
export interface ComponentFile {
  file: string;
  /** Relative to the model folder, e.g. "unet/model.onnx". */
  displayName: string;
}

export interface AutoencoderPart extends ComponentFile {
  kind: 'full' | 'tiny';
  /** Latent scale: the VAE config's scaling_factor (0.18215 for SD 1.x/2.x); 1.0 for TAESD. */
  scale: number;
}

/** A model folder in the diffusers/Optimum ONNX layout, checked for presence but not yet loaded. */
export interface ModelFolder {
  dir: string;
  textEncoder: ComponentFile;
  unet: ComponentFile;
  encoder: AutoencoderPart;
  decoder: AutoencoderPart;
  /** Under 'auto', TAESD when the folder has both halves: the CPU's pick (model.ts). */
  tiny?: { encoder: AutoencoderPart; decoder: AutoencoderPart };
  tokenizerDir: string;
  /** scheduler/scheduler_config.json, parsed but not interpreted (the schedulers own that). */
  schedulerConfig: unknown;
}

const DEFAULT_VAE_SCALE = 0.18215;
const TINY_SCALE = 1.0;

/**
 * Reads the folder's layout and configs. Every missing or unreadable piece is an EngineError that
 * names the file, so a user knows exactly what their download lacks.
 */
export async function readModelFolder(
  dir: string,
  autoencoder: AutoencoderChoice = 'auto',
): Promise<ModelFolder> {
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new EngineError(
      'MODEL_FOLDER_INVALID',
      `${dir} is not a model folder (no such directory)`,
      dir,
    );
  }

  const component = async (name: string): Promise<ComponentFile | undefined> => {
    const displayName = `${name}/model.onnx`;
    const file = path.join(dir, name, 'model.onnx');
    return (await isFile(file)) ? { file, displayName } : undefined;
  };
  const required = async (name: string): Promise<ComponentFile> => {
    const found = await component(name);
    if (!found) throw missing(dir, `${name}/model.onnx`);
    return found;
  };

  const modelIndex = path.join(dir, 'model_index.json');
  if (await isFile(modelIndex)) await readJson(modelIndex, dir); // malformed → clear error

  const schedulerConfigFile = path.join(dir, 'scheduler', 'scheduler_config.json');
  if (!(await isFile(schedulerConfigFile))) throw missing(dir, 'scheduler/scheduler_config.json');

  // transformers 5 saves a tokenizer as tokenizer.json alone, earlier versions as vocab.json and
  // merges.txt: either will do.
  const tokenizerDir = path.join(dir, 'tokenizer');
  if (!(await isFile(path.join(tokenizerDir, 'tokenizer.json')))) {
    for (const name of ['vocab.json', 'merges.txt']) {
      if (!(await isFile(path.join(tokenizerDir, name)))) {
        throw missing(
          dir,
          `tokenizer/${name}`,
          'the tokenizer needs vocab.json and merges.txt, or tokenizer.json',
        );
      }
    }
  }

  const full = {
    encoder: await component('vae_encoder'),
    decoder: await component('vae_decoder'),
  };
  const tiny = {
    encoder: await component('taesd_encoder'),
    decoder: await component('taesd_decoder'),
  };
  return {
    dir,
    textEncoder: await required('text_encoder'),
    unet: await required('unet'),
    encoder: await pickAutoencoder(dir, 'encoder', full.encoder, tiny.encoder, autoencoder),
    decoder: await pickAutoencoder(dir, 'decoder', full.decoder, tiny.decoder, autoencoder),
    ...(autoencoder === 'auto' && tiny.encoder && tiny.decoder
      ? {
          tiny: {
            encoder: await pickAutoencoder(dir, 'encoder', undefined, tiny.encoder, 'tiny'),
            decoder: await pickAutoencoder(dir, 'decoder', undefined, tiny.decoder, 'tiny'),
          },
        }
      : {}),
    tokenizerDir,
    schedulerConfig: await readJson(schedulerConfigFile, dir),
  };
}

async function pickAutoencoder(
  dir: string,
  role: 'encoder' | 'decoder',
  full: ComponentFile | undefined,
  tiny: ComponentFile | undefined,
  choice: AutoencoderChoice,
): Promise<AutoencoderPart> {
  const useTiny = choice === 'tiny' || (choice === 'auto' && !full);
  if (useTiny) {
    if (!tiny)
      throw missing(dir, choice === 'tiny' ? `taesd_${role}/model.onnx` : `vae_${role}/model.onnx`);
    return { ...tiny, kind: 'tiny', scale: await scalingFactor(dir, `taesd_${role}`, TINY_SCALE) };
  }
  if (!full) throw missing(dir, `vae_${role}/model.onnx`);
  return {
    ...full,
    kind: 'full',
    scale: await scalingFactor(dir, `vae_${role}`, DEFAULT_VAE_SCALE),
  };
}

/** diffusers writes the VAE's scaling_factor into each half's config.json; older exports omit it. */
async function scalingFactor(dir: string, component: string, fallback: number): Promise<number> {
  const file = path.join(dir, component, 'config.json');
  if (!(await isFile(file))) return fallback;
  const config = await readJson(file, dir);
  const value = (config as { scaling_factor?: unknown }).scaling_factor;
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0)) {
    throw new EngineError(
      'CONFIG_INVALID',
      `${path.relative(dir, file)}: scaling_factor must be a positive number, got ${JSON.stringify(value)}`,
      file,
    );
  }
  return value;
}

/**
 * The largest config a model folder may hold. diffusers' are under 2 KB; the cap only keeps a
 * hostile or broken 100 MB file from costing seconds and gigabytes at every load.
 */
export const CONFIG_MAX_BYTES = 1024 * 1024;

async function readJson(file: string, dir: string): Promise<unknown> {
  let text: string;
  try {
    text = await readBoundedText(file, CONFIG_MAX_BYTES);
  } catch (error) {
    if (!(error instanceof BoundedReadError)) throw error;
    throw new EngineError(
      'CONFIG_INVALID',
      `${path.relative(dir, file)} ${describeFault(error.fault, error.limit, error.errno)}`,
      file,
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const python = parsePythonJson(text);
    if (python !== undefined) return python;
    throw new EngineError(
      'CONFIG_INVALID',
      `${path.relative(dir, file)} is not valid JSON: ${(error as Error).message}`,
      file,
    );
  }
}

/**
 * Python's json module writes NaN and ±Infinity bare (diffusers saves DPMSolverMultistep's
 * `"lambda_min_clipped": -Infinity` so). They are read as null, i.e. "the default", which is what
 * diffusers means by them there; undefined when the text is not JSON even so.
 */
function parsePythonJson(text: string): unknown {
  const bare = /(:\s*|[[,]\s*)(-?Infinity|NaN)(?=\s*[,}\]])/g;
  if (!bare.test(text)) return undefined;
  try {
    return JSON.parse(text.replace(bare, '$1null')) as unknown;
  } catch {
    return undefined;
  }
}

/** `expected`, when given, says what would do instead. */
function missing(dir: string, relative: string, expected?: string): EngineError {
  return new EngineError(
    'MODEL_FILE_MISSING',
    `${relative} is missing from the model folder ${dir}${expected ? `: ${expected}` : ''}`,
    path.join(dir, relative),
  );
}

async function isFile(file: string): Promise<boolean> {
  return (await stat(file).catch(() => undefined))?.isFile() ?? false;
}
