import type { NoiseSource } from '../random.ts';

/**
 * The scheduler names the CLI and the api accept. `dpm` is DPM-Solver++(2M) with the σ schedule the
 * model's config asks for (`use_karras_sigmas`, false by default); `dpm-karras` always uses Karras
 * sigmas, since SD 1.x folders ship PNDM configs that never set it.
 */
export const SCHEDULER_NAMES = [
  'euler',
  'euler-a',
  'ddim',
  'pndm',
  'dpm',
  'dpm-karras',
  'lcm',
] as const;
export type SchedulerName = (typeof SCHEDULER_NAMES)[number];

/** The schedulers that run a given list of timesteps (Scheduler.setCustomTimesteps). */
export const CUSTOM_TIMESTEP_SCHEDULERS: readonly SchedulerName[] = ['euler', 'euler-a'];

export interface StepResult {
  /** x_{t-1}: the latents to feed the next step (after the last step: the final latents). */
  prevSample: Float32Array;
  /** The model's estimate of the clean latents at this step (LCM's "denoised"). */
  predOriginal: Float32Array;
}

/**
 * The contract every scheduler honours, after diffusers' SchedulerMixin. One instance per job:
 * it holds its own step index, advanced by `step`.
 */
export interface Scheduler {
  readonly name: SchedulerName;
  /**
   * The timesteps that will run, after img2img's strength trimming, as fed to the UNet: one UNet
   * call each. PNDM repeats one, so it runs one more than steps × strength, as in diffusers.
   */
  readonly timesteps: readonly number[];
  /**
   * Builds the schedule for `steps` inference steps and trims it for img2img `strength` (1 = the
   * whole schedule). Throws EngineError('BAD_ARGUMENT') when steps * strength < 1.
   * LCM follows diffusers' LCM pipeline instead: strength truncates its distillation schedule and
   * all `steps` run; it throws when floor(original_inference_steps * strength) < steps.
   */
  setTimesteps(steps: number, strength: number): void;
  /**
   * diffusers' set_timesteps(timesteps=…): runs exactly `timesteps` (highest first) in place of the
   * spaced schedule, trimmed for `strength` as img2img trims any schedule. Only the σ schedulers
   * (euler, euler-a) have it: it is what lets a turbo style start at a chosen noise level and
   * still make one UNet call.
   */
  setCustomTimesteps?(timesteps: readonly number[], strength: number): void;
  /** Noises clean latents to the first timestep that will run (img2img's starting point). */
  addNoise(original: Float32Array, noise: Float32Array): Float32Array;
  /** Scales the latents before the UNet call of the current step (Euler: x / sqrt(sigma^2 + 1)). */
  scaleModelInput(sample: Float32Array): Float32Array;
  /** One denoising step from the UNet output; draws fresh noise from `noise` where the method needs it. */
  step(modelOutput: Float32Array, sample: Float32Array, noise: NoiseSource): StepResult;
}
