import type { NoiseSource } from '../random.ts';
import { alphasCumprod } from './betas.ts';
import type { SchedulerConfig } from './config.ts';
import { combine } from './latents.ts';
import type { Scheduler, SchedulerName, StepResult } from './scheduler.ts';
import {
  checkCustomTimesteps,
  checkInferenceArgs,
  checkStepArgs,
  checkStepIndex,
  img2imgStartIndex,
  spacedTimesteps,
} from './timesteps.ts';

const f32 = Math.fround;

/**
 * What diffusers' Euler and Euler-ancestral schedulers share: the variance-exploding view of the
 * same diffusion, x_σ = x0 + σ·ε with σ_t = √((1−ᾱ_t)/ᾱ_t) (Karras et al. 2022, "Elucidating the
 * Design Space", Table 1, VP column). Subclasses supply only the update from σ to σ_next.
 */
export abstract class SigmaScheduler implements Scheduler {
  abstract readonly name: SchedulerName;
  /** σ at every training timestep (see trainingSigmas). */
  private readonly trainingSigmas: Float32Array;
  private schedule: readonly number[] = [];
  /** σ of each timestep that runs, then 0: the last step lands on clean latents. */
  private sigmas: readonly number[] = [];
  private stepIndex = 0;

  constructor(protected readonly config: SchedulerConfig) {
    this.trainingSigmas = trainingSigmas(config);
  }

  get timesteps(): readonly number[] {
    return this.schedule;
  }

  setTimesteps(steps: number, strength: number): void {
    checkInferenceArgs(steps, strength, this.config.numTrainTimesteps);
    // diffusers keeps these timesteps as float32 (linspace ones are fractional), and so does
    // the UNet input.
    this.useSchedule(spacedTimesteps(this.config, steps).map(f32), strength);
  }

  setCustomTimesteps(timesteps: readonly number[], strength: number): void {
    checkCustomTimesteps(timesteps, this.config.numTrainTimesteps);
    checkInferenceArgs(timesteps.length, strength, this.config.numTrainTimesteps);
    this.useSchedule(timesteps.map(f32), strength);
  }

  private useSchedule(all: readonly number[], strength: number): void {
    const start = img2imgStartIndex(all.length, strength);
    // img2img starts at diffusers' begin index t_start, in both the timesteps and the sigmas.
    this.schedule = all.slice(start);
    this.sigmas = [...this.schedule.map((t) => interpolate(this.trainingSigmas, t)), 0];
    this.stepIndex = 0;
  }

  /** x0 + σ·ε at the first timestep that runs. */
  addNoise(original: Float32Array, noise: Float32Array): Float32Array {
    checkStepIndex(0, this.schedule.length);
    const sigma = this.sigmas[0]!;
    return combine(original, noise, (x0, eps) => x0 + sigma * eps);
  }

  /** x / √(σ² + 1): the UNet was trained on unit-variance inputs x_t = √ᾱ·x_σ. */
  scaleModelInput(sample: Float32Array): Float32Array {
    checkStepIndex(this.stepIndex, this.schedule.length);
    const sigma = this.sigmas[this.stepIndex]!;
    const scale = Math.sqrt(sigma * sigma + 1);
    return sample.map((value) => value / scale);
  }

  step(modelOutput: Float32Array, sample: Float32Array, noise: NoiseSource): StepResult {
    checkStepArgs(this.stepIndex, this.schedule.length, modelOutput, sample);
    const sigma = this.sigmas[this.stepIndex]!;
    const sigmaNext = this.sigmas[this.stepIndex + 1]!;
    const result = this.update(modelOutput, sample, sigma, sigmaNext, noise);
    this.stepIndex++;
    return result;
  }

  /** One update from σ to σ_next (σ_next = 0 on the last step). */
  protected abstract update(
    modelOutput: Float32Array,
    sample: Float32Array,
    sigma: number,
    sigmaNext: number,
    noise: NoiseSource,
  ): StepResult;

  /**
   * x̂0 from the model output at σ. ε: x − σ·ε̂. v (Salimans & Ho 2022, rewritten for x_σ):
   * v̂·(−σ/√(σ²+1)) + x/(σ²+1). sample: the output itself.
   */
  protected predictOriginal(
    modelOutput: Float32Array,
    sample: Float32Array,
    sigma: number,
  ): Float32Array {
    switch (this.config.predictionType) {
      case 'epsilon':
        return combine(modelOutput, sample, (eps, x) => x - sigma * eps);
      case 'v_prediction': {
        const outputScale = -sigma / Math.sqrt(sigma * sigma + 1);
        const sampleScale = 1 / (sigma * sigma + 1);
        return combine(modelOutput, sample, (v, x) => v * outputScale + x * sampleScale);
      }
      case 'sample':
        return Float32Array.from(modelOutput);
    }
  }
}

/**
 * σ_t = √((1−ᾱ_t)/ᾱ_t) at every training timestep, float32 as torch computes ((1 − ᾱ)/ᾱ)^0.5.
 * Zero terminal SNR makes ᾱ_{N−1} = 0 and σ infinite; diffusers' σ-based schedulers use 2^-24.
 */
export function trainingSigmas(config: SchedulerConfig): Float32Array {
  const alphaProds = alphasCumprod(config);
  if (config.rescaleBetasZeroSnr) alphaProds[alphaProds.length - 1] = 2 ** -24;
  return alphaProds.map((alphaProd) => Math.sqrt(f32(f32(1 - alphaProd) / alphaProd)));
}

/** np.interp over the integer timesteps 0 … N−1, stored float32 as diffusers does. */
function interpolate(table: Float32Array, t: number): number {
  const last = table.length - 1;
  const j = Math.min(Math.max(Math.floor(t), 0), last);
  const low = table[j]!;
  if (t <= 0 || j === last || t === j) return low;
  return f32((table[j + 1]! - low) * (t - j) + low);
}
