import type { NoiseSource } from '../random.ts';
import { alphaProdLookup } from './betas.ts';
import type { SchedulerConfig } from './config.ts';
import { addNoiseAtAlpha, noiseFromAlpha, originalFromAlpha } from './ddpm.ts';
import { combine } from './latents.ts';
import type { Scheduler, StepResult } from './scheduler.ts';
import {
  checkInferenceArgs,
  checkStepArgs,
  checkStepIndex,
  img2imgStartIndex,
  integerTimesteps,
} from './timesteps.ts';

/**
 * diffusers' DDIMScheduler with eta = 0: the deterministic DDIM sampler (Song et al. 2021,
 * "Denoising Diffusion Implicit Models", eq. 12 with σ_t = 0). Our default for the diffusers
 * classes we do not implement (see config.ts).
 */
export class DdimScheduler implements Scheduler {
  readonly name = 'ddim';
  /** ᾱ_t; below timestep 0 the ᾱ after the last step (see alphaProdLookup). */
  private readonly alphaProd: (t: number) => number;
  private schedule: readonly number[] = [];
  /** N // steps, how far back each step looks, whatever the spacing (as in diffusers). */
  private stepRatio = 0;
  private stepIndex = 0;

  constructor(private readonly config: SchedulerConfig) {
    this.alphaProd = alphaProdLookup(config);
  }

  get timesteps(): readonly number[] {
    return this.schedule;
  }

  setTimesteps(steps: number, strength: number): void {
    const n = this.config.numTrainTimesteps;
    checkInferenceArgs(steps, strength, n);
    const start = img2imgStartIndex(steps, strength);
    // DDIM's timesteps are integers: `linspace` ones are rounded as numpy rounds.
    const all = integerTimesteps(this.config, steps);
    this.schedule = all.slice(start);
    this.stepRatio = Math.floor(n / steps);
    this.stepIndex = 0;
  }

  /** √ᾱ_t·x0 + √(1−ᾱ_t)·ε at the first timestep that runs. */
  addNoise(original: Float32Array, noise: Float32Array): Float32Array {
    checkStepIndex(0, this.schedule.length);
    return addNoiseAtAlpha(original, noise, this.alphaProd(this.schedule[0]!));
  }

  /** DDIM feeds the UNet x_t as it is; the same array comes back. */
  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  step(modelOutput: Float32Array, sample: Float32Array, _noise: NoiseSource): StepResult {
    checkStepArgs(this.stepIndex, this.schedule.length, modelOutput, sample);
    const t = this.schedule[this.stepIndex]!;
    // 1. Previous timestep t − N//steps; below 0 means this was the last step.
    const prevT = t - this.stepRatio;
    // 2. ᾱ_t and ᾱ_{t−1} (the final ᾱ below timestep 0).
    const alphaProd = this.alphaProd(t);
    const alphaProdPrev = this.alphaProd(prevT);
    // 3. "Predicted x0" of eq. 12, clipped when the config says so.
    const predOriginal = combine(modelOutput, sample, originalFromAlpha(this.config, alphaProd));
    // 4. ε̂, from the unclipped prediction.
    const predNoise = combine(
      modelOutput,
      sample,
      noiseFromAlpha(this.config.predictionType, alphaProd),
    );
    // 5. eta = 0: σ_t = 0 (eq. 16), so no variance and no noise term.
    // 6. "Direction pointing to x_t" √(1−ᾱ_{t−1})·ε̂;
    // 7. x_{t−1} = √ᾱ_{t−1}·x̂0 + direction (eq. 12).
    const signal = Math.sqrt(alphaProdPrev);
    const direction = Math.sqrt(1 - alphaProdPrev);
    const prevSample = combine(predOriginal, predNoise, (x0, eps) => signal * x0 + direction * eps);
    this.stepIndex++;
    return { prevSample, predOriginal };
  }
}
