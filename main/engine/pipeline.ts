import { createHash } from 'node:crypto';
import { concatFloat32 } from './arrays.ts';
import { LruCache } from './cache.ts';
import type { EncodedImage } from './components/autoencoder.ts';
import { EngineError } from './errors.ts';
import type { SdModel } from './model.ts';
import { SeededNoise, type NoiseSource } from './random.ts';
import { createScheduler } from './schedulers/index.ts';
import { CUSTOM_TIMESTEP_SCHEDULERS, type Scheduler } from './schedulers/scheduler.ts';
import { guidanceScaleEmbedding } from './schedulers/lcm.ts';
import type { Img2ImgRequest, Img2ImgResult, StepProgress } from './types.ts';

/** Per-model caches: a run of 30 avatars encodes each photo and each style prompt once. */
export interface PipelineCaches {
  prompts: LruCache<string, Float32Array>;
  images: LruCache<string, EncodedImage>;
}

export function createCaches(): PipelineCaches {
  return { prompts: new LruCache(64), images: new LruCache(16) };
}

export interface RunControls {
  signal?: AbortSignal;
  onProgress?: (progress: StepProgress) => void;
  caches?: PipelineCaches;
}

/**
 * Stable Diffusion img2img, as diffusers' ONNX img2img pipeline computes it, read top to bottom:
 * check → timesteps → LoRAs → encode prompt → encode image → noise to the strength's timestep → denoise
 * loop → decode.
 */
export async function img2img(
  model: SdModel,
  request: Img2ImgRequest,
  controls: RunControls = {},
): Promise<Img2ImgResult> {
  const started = performance.now();
  const { size } = request;
  const latentSize = size / 8;
  const latentLength = 4 * latentSize * latentSize;
  const caches = controls.caches ?? createCaches();
  checkRequest(request, latentLength);
  const rng = new SeededNoise(request.seed);
  const throwIfAborted = (): void => {
    if (controls.signal?.aborted) throw new EngineError('ABORTED', 'generation cancelled');
  };

  // 1. Timesteps: the scheduler trims its schedule to the strength (img2img starts part-way).
  const scheduler = scheduledFor(request, model.folder.schedulerConfig);

  // 2. LoRAs: the set this request runs with is fed to both text encoder and UNet from now on.
  const loraSet = model.loras.select(request.loras ?? []);

  // 3. Prompt embeddings. LCM distils guidance into timestep_cond, so it never doubles the batch.
  const lcmDim = model.unet.timestepCondDim;
  const guided = request.guidance > 1 && lcmDim === undefined;
  const texts = guided ? [request.negativePrompt ?? '', request.prompt] : [request.prompt];
  const encodePromptStart = performance.now();
  const encoderHiddenStates = concatFloat32(await encodePrompts(model, caches, loraSet, texts));
  const encodePromptMs = performance.now() - encodePromptStart;
  const timestepCond =
    lcmDim === undefined ? undefined : guidanceScaleEmbedding(request.guidance - 1, lcmDim);

  // 4. Initial noise, drawn first so a seed means the same noise whatever the encoder declares.
  const noise = request.noise ?? rng.normal(latentLength);

  // 5. Image latents: x0 = scale · E(image). A latent_parameters encoder gives a distribution:
  //    its mean when the caller fixed the noise (so the result depends on that file alone),
  //    else a seeded sample, as diffusers' retrieve_latents(sample_mode="sample") does.
  throwIfAborted();
  const encodeImageStart = performance.now();
  const encoded = await encodeImage(model, caches, request, size);
  const encodeImageMs = performance.now() - encodeImageStart;
  const x0 = scaledLatents(encoded, model.encoder.part.scale, request.noise ? undefined : rng);

  // 6. Noise x0 to the first timestep that will run.
  let latents = scheduler.addNoise(x0, noise);

  // 7. Denoise: scale → UNet → guidance → step.
  const denoiseStart = performance.now();
  const unetCallsBefore = model.unet.calls;
  const steps = scheduler.timesteps.length;
  for (let i = 0; i < steps; i++) {
    throwIfAborted();
    const input = scheduler.scaleModelInput(latents);
    const batch = guided ? 2 : 1;
    const prediction = await model.unet.predict({
      sample: guided ? concatFloat32([input, input]) : input,
      batch,
      height: latentSize,
      width: latentSize,
      timestep: scheduler.timesteps[i]!,
      encoderHiddenStates,
      sequenceLength: model.tokenizer.maxLength,
      ...(timestepCond ? { timestepCond } : {}),
    });
    const modelOutput = guided ? applyGuidance(prediction, request.guidance) : prediction;
    latents = scheduler.step(modelOutput, latents, rng).prevSample;
    controls.onProgress?.({ step: i + 1, steps, elapsedMs: performance.now() - started });
  }
  const denoiseMs = performance.now() - denoiseStart;

  // 8. Decode: the decoder takes unscaled latents.
  throwIfAborted();
  const decodeStart = performance.now();
  const scale = model.decoder.part.scale;
  const image = await model.decoder.decode(
    latents.map((v) => v / scale),
    size,
    size,
  );
  const decodeMs = performance.now() - decodeStart;

  return {
    image,
    latents,
    unetCalls: model.unet.calls - unetCallsBefore,
    timings: {
      encodePromptMs,
      encodeImageMs,
      denoiseMs,
      decodeMs,
      totalMs: performance.now() - started,
    },
  };
}

/**
 * The request's scheduler with its timesteps set: `timesteps.length` is the UNet calls it will
 * make (the batch doubles each under guidance).
 */
export function scheduledFor(
  request: Pick<Img2ImgRequest, 'scheduler' | 'steps' | 'strength' | 'timesteps'>,
  schedulerConfig: unknown,
): Scheduler {
  const scheduler = createScheduler(request.scheduler, schedulerConfig);
  if (request.timesteps === undefined) scheduler.setTimesteps(request.steps, request.strength);
  else if (scheduler.setCustomTimesteps)
    scheduler.setCustomTimesteps(request.timesteps, request.strength);
  else
    throw new EngineError(
      'BAD_ARGUMENT',
      `custom timesteps need ${CUSTOM_TIMESTEP_SCHEDULERS.join(' or ')}, not ${scheduler.name}`,
    );
  return scheduler;
}

function checkRequest(request: Img2ImgRequest, latentLength: number): void {
  const fail = (message: string): never => {
    throw new EngineError('BAD_ARGUMENT', message);
  };
  const { size } = request;
  if (!Number.isInteger(size) || size < 64 || size % 8 !== 0) {
    fail(`size must be a multiple of 8 of at least 64, got ${size}`);
  }
  if (request.image.length !== 3 * size * size) {
    fail(
      `image must be [1,3,${size},${size}] (${3 * size * size} values), got ${request.image.length}`,
    );
  }
  if (request.imageKey !== undefined && typeof request.imageKey !== 'string')
    fail(`imageKey must be text, got ${typeof request.imageKey}`);
  if (!Number.isInteger(request.steps) || request.steps < 1)
    fail(`steps must be a positive integer, got ${request.steps}`);
  if (request.timesteps !== undefined && request.timesteps.length !== request.steps)
    fail(`steps must count the ${request.timesteps.length} timesteps given, got ${request.steps}`);
  if (!(request.strength > 0 && request.strength <= 1))
    fail(`strength must be in (0, 1], got ${request.strength}`);
  if (!(request.guidance >= 0) || !Number.isFinite(request.guidance))
    fail(`guidance must be >= 0, got ${request.guidance}`);
  if (!Number.isSafeInteger(request.seed)) fail(`seed must be an integer, got ${request.seed}`);
  if (request.noise && request.noise.length !== latentLength) {
    fail(
      `noise must hold ${latentLength} float32 values ([1,4,${size / 8},${size / 8}]), got ${request.noise.length}`,
    );
  }
  for (const lora of request.loras ?? []) {
    if (typeof lora?.file !== 'string' || lora.file === '') fail('a LoRA needs its file');
    if (!Number.isFinite(lora.scale)) fail(`LoRA scale must be a number, got ${lora.scale}`);
  }
}

/** Embeddings cached by LoRA set and text: a LoRA on the text encoder changes them. */
async function encodePrompts(
  model: SdModel,
  caches: PipelineCaches,
  loraSet: string,
  texts: readonly string[],
): Promise<Float32Array[]> {
  const key = (text: string) => JSON.stringify([loraSet, text]);
  const missing = [...new Set(texts.filter((t) => !caches.prompts.get(key(t))))];
  if (missing.length > 0) {
    const encoded = await model.textEncoder.encode(missing);
    missing.forEach((text, i) => caches.prompts.set(key(text), encoded[i]!));
  }
  return texts.map((t) => caches.prompts.get(key(t))!);
}

async function encodeImage(
  model: SdModel,
  caches: PipelineCaches,
  { image, imageKey }: Img2ImgRequest,
  size: number,
): Promise<EncodedImage> {
  const pixels =
    imageKey ??
    createHash('sha256')
      .update(Buffer.from(image.buffer, image.byteOffset, image.byteLength))
      .digest('hex');
  const key = JSON.stringify([model.encoder.part.file, size, imageKey === undefined, pixels]);
  const cached = caches.images.get(key);
  if (cached) return cached;
  const encoded = await model.encoder.encode(image, size, size);
  caches.images.set(key, encoded);
  return encoded;
}

function scaledLatents(
  encoded: EncodedImage,
  scale: number,
  sampler: NoiseSource | undefined,
): Float32Array {
  const { mean, logvar } = encoded;
  if (!logvar || !sampler) return mean.map((m) => m * scale);
  const eps = sampler.normal(mean.length);
  // diffusers clamps logvar to [-30, 20] before taking the standard deviation.
  return mean.map(
    (m, i) => (m + Math.exp(0.5 * Math.min(Math.max(logvar[i]!, -30), 20)) * eps[i]!) * scale,
  );
}

/** ε = ε_uncond + g · (ε_cond − ε_uncond); the batch is [uncond, cond]. */
function applyGuidance(prediction: Float32Array, guidance: number): Float32Array {
  const half = prediction.length / 2;
  const out = new Float32Array(half);
  for (let i = 0; i < half; i++) {
    const uncond = prediction[i]!;
    out[i] = uncond + guidance * (prediction[half + i]! - uncond);
  }
  return out;
}
