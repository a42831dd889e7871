import type { SchedulerName } from './schedulers/scheduler.ts';

/**
 * How a model wants to be driven: SD 1.x/2.x with classifier-free guidance over many steps,
 * adversarially distilled turbo models in 1-4 unguided steps, or latent-consistency models.
 */
export type ModelFamily = 'sd15' | 'turbo' | 'lcm';

/** A LoRA to run with: its .safetensors file and strength (1 as trained, 0 the base model). */
export interface LoraRequest {
  file: string;
  scale: number;
}

/** One img2img generation. Images are NCHW float32 in [-1, 1]. */
export interface Img2ImgRequest {
  /** [1, 3, size, size], already resized and cropped (see image.ts). */
  image: Float32Array;
  /**
   * Names `image` in the engine's image-latent cache, sparing a hash of its 3 MB on every request
   * (a run sends each photo ten times). Requests that share a key must carry the same pixels.
   */
  imageKey?: string;
  size: number;
  prompt: string;
  /** Used only under classifier-free guidance (guidance > 1, not LCM). */
  negativePrompt?: string;
  /** img2img strength in (0, 1]: how much of the schedule runs; steps * strength must reach 1. */
  strength: number;
  /** Inference steps; with `timesteps`, their count. */
  steps: number;
  /**
   * The schedule to run instead of `steps` spaced timesteps, highest first (diffusers'
   * `timesteps=`), trimmed for the strength the same way; euler and euler-a only.
   */
  timesteps?: readonly number[];
  /** Classifier-free guidance scale; 0 or 1 turns guidance off (turbo). For LCM it feeds timestep_cond. */
  guidance: number;
  seed: number;
  /** Defaults to the model folder's scheduler_config.json. */
  scheduler?: SchedulerName;
  /** Initial noise [1, 4, size/8, size/8] instead of the seeded generator's (reference comparisons). */
  noise?: Float32Array;
  /** LoRAs applied together (their branches summed), none by default. */
  loras?: readonly LoraRequest[];
}

export interface StepProgress {
  step: number;
  steps: number;
  elapsedMs: number;
}

export interface Img2ImgTimings {
  encodePromptMs: number;
  encodeImageMs: number;
  denoiseMs: number;
  decodeMs: number;
  totalMs: number;
}

export interface Img2ImgResult {
  /** [1, 3, size, size] in [-1, 1]. */
  image: Float32Array;
  /** The final latents before decoding, [1, 4, size/8, size/8]. */
  latents: Float32Array;
  /** session.run calls of the UNet for this image (a guided step is one call of batch 2). */
  unetCalls: number;
  timings: Img2ImgTimings;
}
