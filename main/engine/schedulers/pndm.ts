import type { NoiseSource } from '../random.ts';
import { alphaProdLookup } from './betas.ts';
import type { SchedulerConfig } from './config.ts';
import { addNoiseAtAlpha, noiseFromAlpha, unclippedOriginal } from './ddpm.ts';
import { combine, weightedSum } from './latents.ts';
import type { Scheduler, StepResult } from './scheduler.ts';
import {
  checkInferenceArgs,
  checkStepArgs,
  checkStepIndex,
  img2imgStartIndex,
  integerTimesteps,
} from './timesteps.ts';

/**
 * Adams–Bashforth weights for 1 … 4 model outputs, newest first: formula (12) of the PNDM paper
 * for four, and the lower orders PLMS warms up with (crowsonkb's sampler, which diffusers follows).
 */
const LINEAR_MULTISTEP: readonly (readonly number[])[] = [
  [1],
  [3 / 2, -1 / 2],
  [23 / 12, -16 / 12, 5 / 12],
  [55 / 24, -59 / 24, 37 / 24, -9 / 24],
];

/**
 * diffusers' PNDMScheduler with skip_prk_steps, as SD 1.x ships it: pseudo linear multistep
 * sampling (Liu et al. 2022, "Pseudo Numerical Methods for Diffusion Models on Manifolds", PLMS).
 * Each step moves by the transfer of formula (9) with an ε that combines up to four past model
 * outputs; the second timestep runs twice, to restart the first step with a two-output average.
 */
export class PndmScheduler implements Scheduler {
  readonly name = 'pndm';
  /**
   * ᾱ_t; below timestep 0 the ᾱ after the last step, 1 (`set_alpha_to_one`) or ᾱ_0 (PNDM's
   * default, SD's choice).
   */
  private readonly alphaProd: (t: number) => number;
  private schedule: readonly number[] = [];
  /** N // steps: how far back each step looks, whatever the spacing (as in diffusers). */
  private stepRatio = 0;
  /** diffusers' `counter`: the steps taken since setTimesteps, whichever timestep came first. */
  private counter = 0;
  /** diffusers' `ets`: the last four outputs, newest last; the repeated step's is not kept. */
  private outputs: Float32Array[] = [];
  /** The first step's sample, which the second step starts again from. */
  private firstSample: Float32Array | undefined;

  constructor(private readonly config: SchedulerConfig) {
    this.alphaProd = alphaProdLookup(config);
  }

  get timesteps(): readonly number[] {
    return this.schedule;
  }

  /**
   * The spaced timesteps with the second one repeated, t_0, t_1, t_1, t_2, …: steps + 1 UNet calls
   * (one for a single step). img2img cuts this list at t_start as diffusers' pipeline does, with
   * PNDM's `order` 1, so it runs init_timestep + 1 calls and noises to one timestep higher than
   * DDIM does at the same strength.
   */
  setTimesteps(steps: number, strength: number): void {
    checkInferenceArgs(steps, strength, this.config.numTrainTimesteps);
    const start = img2imgStartIndex(steps, strength);
    const spaced = integerTimesteps(this.config, steps);
    const plms = [spaced[0]!, ...spaced.slice(1, 2), ...spaced.slice(1)];
    this.schedule = plms.slice(start);
    this.stepRatio = Math.floor(this.config.numTrainTimesteps / steps);
    this.counter = 0;
    this.outputs = [];
    this.firstSample = undefined;
  }

  /** √ᾱ_t·x0 + √(1−ᾱ_t)·ε at the first timestep that runs. */
  addNoise(original: Float32Array, noise: Float32Array): Float32Array {
    checkStepIndex(0, this.schedule.length);
    return addNoiseAtAlpha(original, noise, this.alphaProd(this.schedule[0]!));
  }

  /** PNDM feeds the UNet x_t as it is; the same array comes back. */
  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  /**
   * As diffusers' step_plms, the second step is told by the counter, not by the timestep: when
   * img2img starts mid-schedule, the second call still restarts from the first call's sample,
   * stepping from its timestep + N//steps to its timestep, whatever the list holds there.
   */
  step(modelOutput: Float32Array, sample: Float32Array, _noise: NoiseSource): StepResult {
    checkStepArgs(this.counter, this.schedule.length, modelOutput, sample);
    const listed = this.schedule[this.counter]!;
    let step: { from: number; to: number; sample: Float32Array; output: Float32Array };
    if (this.counter === 1) {
      // 1. Second call: redo the first step from its sample with the mean of both outputs (a
      //    Heun-like start), from t + N//steps down to t.
      step = {
        from: listed + this.stepRatio,
        to: listed,
        sample: this.firstSample!,
        output: weightedSum([modelOutput, this.outputs[0]!], [1 / 2, 1 / 2]),
      };
    } else {
      // 1. Otherwise: keep the output and extrapolate ε from the last (up to) four.
      this.outputs = [...this.outputs.slice(-3), modelOutput];
      if (this.counter === 0) this.firstSample = sample;
      const newestFirst = [...this.outputs].reverse();
      step = {
        from: listed,
        to: listed - this.stepRatio,
        sample,
        output: weightedSum(newestFirst, LINEAR_MULTISTEP[newestFirst.length - 1]!),
      };
    }
    this.counter++;
    return this.transfer(step.sample, step.from, step.to, step.output);
  }

  /**
   * diffusers' _get_prev_sample: formula (9) of the PNDM paper, x_{t−δ} from x_t and ε,
   * x_{t−δ} = √(ᾱ_{t−δ}/ᾱ_t)·x_t − (ᾱ_{t−δ} − ᾱ_t)/(ᾱ_t·√(1−ᾱ_{t−δ}) + √(ᾱ_t(1−ᾱ_t)ᾱ_{t−δ}))·ε.
   */
  private transfer(
    sample: Float32Array,
    t: number,
    prevT: number,
    output: Float32Array,
  ): StepResult {
    // 2. ᾱ_t and ᾱ_{t−δ}; below timestep 0 the final ᾱ.
    const alphaProd = this.alphaProd(t);
    const alphaProdPrev = this.alphaProd(prevT);
    // 3. v → ε, applied to the combined output at x_t (as diffusers does; ε passes through).
    const eps = combine(output, sample, noiseFromAlpha(this.config.predictionType, alphaProd));
    // 4. Formula (9).
    const sampleCoeff = Math.sqrt(alphaProdPrev / alphaProd);
    const denominator =
      alphaProd * Math.sqrt(1 - alphaProdPrev) +
      Math.sqrt(alphaProd * (1 - alphaProd) * alphaProdPrev);
    const epsCoeff = (alphaProdPrev - alphaProd) / denominator;
    const prevSample = combine(sample, eps, (x, e) => sampleCoeff * x - epsCoeff * e);
    // 5. The x̂0 that ε implies at x_t (diffusers' PNDM does not report one).
    const predOriginal = combine(eps, sample, unclippedOriginal('epsilon', alphaProd));
    return { prevSample, predOriginal };
  }
}
