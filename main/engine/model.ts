import { ImageDecoder, ImageEncoder } from './components/autoencoder.ts';
import { TextEncoder } from './components/text-encoder.ts';
import { Unet } from './components/unet.ts';
import { EngineError } from './errors.ts';
import { LoraSwitch } from './lora-switch.ts';
import {
  readModelFolder,
  type AutoencoderChoice,
  type ComponentFile,
  type ModelFolder,
} from './model-folder.ts';
import { deterministicEncoder } from './onnx/deterministic-encoder.ts';
import type { LoadedComponent } from './onnx/io-spec.ts';
import {
  candidateProviders,
  createSession,
  type ProviderFallback,
  type ProviderName,
  type ProviderReport,
  type ProviderRequest,
  type SessionOptions,
} from './onnx/providers.ts';
import { parseSchedulerConfig, schedulerForConfig } from './schedulers/config.ts';
import { createScheduler } from './schedulers/index.ts';
import { ClipTokenizer } from './tokenizer/clip-tokenizer.ts';
import type { ModelFamily } from './types.ts';

export interface LoadModelOptions extends SessionOptions {
  dir: string;
  provider?: ProviderRequest;
  autoencoder?: AutoencoderChoice;
}

/** A validated model with its sessions created once, ready for any number of runs. */
export interface SdModel {
  folder: ModelFolder;
  tokenizer: ClipTokenizer;
  textEncoder: TextEncoder;
  unet: Unet;
  encoder: ImageEncoder;
  decoder: ImageDecoder;
  /** Which LoRAs the UNet and text encoder run with. */
  loras: LoraSwitch;
  family: ModelFamily;
  providers: ProviderReport;
  release(): Promise<void>;
}

/**
 * Loads and validates a model folder. The UNet, the largest graph, is created first and decides
 * the provider; the rest follow it, falling back to CPU one by one if a provider balks at them.
 */
export async function loadModel(options: LoadModelOptions): Promise<SdModel> {
  const folder = await readModelFolder(options.dir, options.autoencoder ?? 'auto');
  const tokenizer = await ClipTokenizer.fromFolder(folder.tokenizerDir);
  // A config the schedulers cannot honour fails now, naming its file, not at the first run.
  createScheduler(undefined, folder.schedulerConfig);

  const sessions: LoadedComponent[] = [];
  const fallbacks: ProviderFallback[] = [];
  let providers = candidateProviders(options.provider ?? 'cpu');
  let chosen: ProviderName = 'cpu';
  const open = async (part: ComponentFile, bytes?: Uint8Array): Promise<LoadedComponent> => {
    const created = await createSession(part.file, part.displayName, providers, options, bytes);
    fallbacks.push(
      ...created.fallbacks.map((f) => ({ ...f, reason: `${part.displayName}: ${f.reason}` })),
    );
    if (sessions.length === 0) {
      chosen = created.provider;
      providers = candidateProviders(chosen);
    }
    const component = { session: created.session, ...part };
    sessions.push(component);
    return component;
  };

  try {
    const unet = Unet.create(await open(folder.unet));
    const textEncoder = await TextEncoder.create(await open(folder.textEncoder), tokenizer);
    // On the CPU the full VAE is 70-80% of a turbo avatar and TAESD ~20x cheaper (scripts/bench,
    // part 3); a GPU decodes either in a fraction of a UNet call, so it keeps the model's own.
    const parts = chosen === 'cpu' && folder.tiny ? folder.tiny : folder;
    // An encoder that samples its own latent runs rewritten, in memory: the file stays as it is.
    const deterministic = await deterministicEncoder(parts.encoder.file, parts.encoder.displayName);
    const encoder = ImageEncoder.create(
      await open(parts.encoder, deterministic?.bytes),
      parts.encoder,
      deterministic?.change,
    );
    const decoder = ImageDecoder.create(await open(parts.decoder), parts.decoder);
    checkHiddenSizes(folder, textEncoder, unet);
    return {
      folder,
      tokenizer,
      textEncoder,
      unet,
      encoder,
      decoder,
      loras: new LoraSwitch([unet.lora, textEncoder.lora]),
      family: familyOf(folder, unet),
      providers: { provider: chosen, fallbacks },
      release: async () => {
        await Promise.all(sessions.map((s) => s.session.release()));
      },
    };
  } catch (error) {
    await Promise.all(sessions.map((s) => s.session.release()));
    throw error;
  }
}

function checkHiddenSizes(folder: ModelFolder, textEncoder: TextEncoder, unet: Unet): void {
  const produced = textEncoder.hiddenSize;
  const expected = unet.hiddenSize;
  if (produced !== undefined && expected !== undefined && produced !== expected) {
    throw new EngineError(
      'MODEL_IO_MISMATCH',
      `${folder.unet.displayName} expects ${expected}-wide text embeddings but ${folder.textEncoder.displayName} produces ${produced}: they come from different models`,
      folder.unet.file,
    );
  }
}

/**
 * The family decides recipes (steps, guidance) for styles. LCM UNets declare timestep_cond; turbo
 * exports ship Euler with trailing spacing, the schedule they were distilled on; everything else is
 * driven like SD 1.5 (guided, many steps), which also suits SD 2.x.
 */
function familyOf(folder: ModelFolder, unet: Unet): ModelFamily {
  if (unet.timestepCondDim !== undefined) return 'lcm';
  const { name } = schedulerForConfig(folder.schedulerConfig);
  const config = parseSchedulerConfig(folder.schedulerConfig, name);
  return name === 'euler' && config.timestepSpacing === 'trailing' ? 'turbo' : 'sd15';
}
