import type { NoiseSource } from '../random.ts';
import { EngineError } from '../errors.ts';
import { alphasCumprod } from './betas.ts';
import type { SchedulerConfig } from './config.ts';
import { addNoiseAtAlpha, originalFromAlpha } from './ddpm.ts';
import { combine } from './latents.ts';
import type { Scheduler, StepResult } from './scheduler.ts';
import { checkInferenceArgs, checkStepArgs, checkStepIndex } from './timesteps.ts';

/** σ_data of the consistency-model boundary condition (Song et al. 2023, "Consistency Models"). */
const SIGMA_DATA = 0.5;

/**
 * diffusers' LCMScheduler: multistep latent consistency sampling (Luo et al. 2023, "Latent
 * Consistency Models"). Each step maps x_t straight to a clean estimate with the consistency
 * function, then re-noises it to the next timestep with fresh noise.
 *
 * img2img strength does not trim the schedule here: as diffusers' LCM img2img pipeline does, it
 * truncates the distillation schedule the timesteps are picked from, and all `steps` run.
 */
export class LcmScheduler implements Scheduler {
  readonly name = 'lcm';
  private readonly alphaProds: Float32Array;
  private schedule: readonly number[] = [];
  private stepIndex = 0;

  constructor(private readonly config: SchedulerConfig) {
    this.alphaProds = alphasCumprod(config);
  }

  get timesteps(): readonly number[] {
    return this.schedule;
  }

  /**
   * Throws BAD_ARGUMENT unless floor(original_inference_steps × strength) >= steps: the truncated
   * distillation schedule must hold a distinct timestep for every step (diffusers' own rule; it
   * implies steps × strength >= 1, and allows e.g. 1 step at strength 0.5).
   */
  setTimesteps(steps: number, strength: number): void {
    const n = this.config.numTrainTimesteps;
    const original = this.config.originalInferenceSteps;
    checkInferenceArgs(steps, strength, n);
    // 1. The skipping step k of the LCM paper: the distillation schedule is k−1, 2k−1, …, N−1.
    const k = Math.floor(n / original);
    // 2. Strength keeps its first int(original × strength) entries (the low-noise end).
    const count = Math.floor(original * strength);
    if (count < steps) {
      throw new EngineError(
        'BAD_ARGUMENT',
        `LCM needs original_inference_steps × strength >= steps, got ${original} × ${strength} < ${steps}; ` +
          `use at most ${count} steps or a strength of at least ${steps / original}`,
      );
    }
    const distilled = Array.from({ length: count }, (_, i) => (count - i) * k - 1);
    // 3. Pick `steps` of them, highest first, at floor(linspace(0, count, steps, endpoint=False)).
    const stride = count / steps;
    this.schedule = Array.from({ length: steps }, (_, i) => distilled[Math.floor(i * stride)]!);
    this.stepIndex = 0;
  }

  /** √ᾱ_t·x0 + √(1−ᾱ_t)·ε at the first timestep (DDPM's add_noise, as diffusers' LCM uses). */
  addNoise(original: Float32Array, noise: Float32Array): Float32Array {
    checkStepIndex(0, this.schedule.length);
    return addNoiseAtAlpha(original, noise, this.alphaProds[this.schedule[0]!]!);
  }

  /** LCM feeds the UNet x_t as it is; the same array comes back. */
  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  step(modelOutput: Float32Array, sample: Float32Array, noise: NoiseSource): StepResult {
    checkStepArgs(this.stepIndex, this.schedule.length, modelOutput, sample);
    const t = this.schedule[this.stepIndex]!;
    const isLast = this.stepIndex === this.schedule.length - 1;
    // 1. The previous timestep is the next one in the schedule (unused on the last step).
    const prevT = isLast ? t : this.schedule[this.stepIndex + 1]!;
    // 2. ᾱ_t and ᾱ_prev.
    const alphaProd = this.alphaProds[t]!;
    const alphaProdPrev = this.alphaProds[prevT]!;
    // 3. Boundary-condition scalings at the scaled timestep s = t·timestep_scaling:
    //    c_skip = σ_d²/(s² + σ_d²), c_out = s/√(s² + σ_d²), so f(x, 0) ≈ x.
    const scaled = t * this.config.timestepScaling;
    const cSkip = SIGMA_DATA ** 2 / (scaled ** 2 + SIGMA_DATA ** 2);
    const cOut = scaled / Math.sqrt(scaled ** 2 + SIGMA_DATA ** 2);
    // 4. x̂0 from the model output, 5. clipped when the config says so.
    const predicted = combine(modelOutput, sample, originalFromAlpha(this.config, alphaProd));
    // 6. The consistency function: denoised = c_out·x̂0 + c_skip·x_t.
    const denoised = combine(predicted, sample, (x0, x) => cOut * x0 + cSkip * x);
    // 7. Re-noise to the next timestep with fresh z ~ N(0, I); the last step returns denoised.
    if (isLast) {
      this.stepIndex++;
      return { prevSample: denoised, predOriginal: denoised };
    }
    const fresh = noise.normal(sample.length);
    const prevSample = addNoiseAtAlpha(denoised, fresh, alphaProdPrev);
    this.stepIndex++;
    return { prevSample, predOriginal: denoised };
  }
}

/**
 * The guidance embedding LCM UNets take as `timestep_cond` (diffusers'
 * get_guidance_scale_embedding, after VDM's timestep embedding): w·1000 times the geometric
 * frequencies 10000^(−i/(dim/2 − 1)), sin half then cos half, zero-padded to an odd `dim`.
 * `w` is diffusers' guidance_scale − 1 (its Imagen-style CFG convention), not the scale itself;
 * `dim` is the UNet's time_cond_proj_dim (the width of its `timestep_cond` input).
 * Computed in float32 step by step as torch does: w·1000 reaches thousands of radians, where
 * float64 arguments would move sin/cos by up to ~1e-3.
 */
export function guidanceScaleEmbedding(w: number, dim: number): Float32Array {
  if (!Number.isInteger(dim) || dim < 4) {
    throw new EngineError('BAD_ARGUMENT', `embedding size must be an integer >= 4, got ${dim}`);
  }
  const f32 = Math.fround;
  const half = Math.floor(dim / 2);
  const scaledW = f32(f32(w) * 1000);
  const decay = f32(f32(Math.log(10000)) / (half - 1));
  const out = new Float32Array(dim);
  for (let i = 0; i < half; i++) {
    const angle = f32(scaledW * f32(Math.exp(f32(i * -decay))));
    out[i] = Math.sin(angle);
    out[half + i] = Math.cos(angle);
  }
  return out;
}
