import type { NoiseSource } from '../random.ts';
import type { SchedulerConfig } from './config.ts';
import { addNoiseAtAlpha, unclippedOriginal } from './ddpm.ts';
import { combine } from './latents.ts';
import type { Scheduler, StepResult } from './scheduler.ts';
import { trainingSigmas } from './sigma-scheduler.ts';
import {
  checkInferenceArgs,
  checkStepArgs,
  checkStepIndex,
  img2imgStartIndex,
  integerTimesteps,
  roundHalfEven,
  spacedTimesteps,
} from './timesteps.ts';

const f32 = Math.fround;

/** ρ of Karras et al. 2022's schedule, the paper's value and diffusers' fixed one. */
const KARRAS_RHO = 7;

/**
 * diffusers' DPMSolverMultistepScheduler as SD users run it: algorithm_type dpmsolver++,
 * solver_order 2, solver_type midpoint, final_sigmas_type zero, i.e. DPM-Solver++(2M) (Lu et al.
 * 2022, "DPM-Solver++: Fast Solver for Guided Sampling of Diffusion Probabilistic Models",
 * Algorithm 2), on the spaced timesteps or on Karras sigmas. Each step integrates the data
 * prediction x̂0 over λ = log(α_t/σ_t), extrapolating it linearly from the previous step's x̂0.
 *
 * σ below is the variance-exploding noise level √((1−ᾱ)/ᾱ), as diffusers stores it; the update
 * works on VP latents x_t = α_t·x0 + σ_t·ε with α_t = 1/√(σ²+1), σ_t = σ·α_t, so λ = −log σ.
 */
export class DpmSolverScheduler implements Scheduler {
  /** What runs: `dpm-karras` whenever the config turns Karras sigmas on. */
  readonly name: 'dpm' | 'dpm-karras';
  private readonly trainingSigmas: Float32Array;
  private schedule: readonly number[] = [];
  /** σ of each timestep that runs, then 0: the last step lands on x̂0. */
  private sigmas: readonly number[] = [];
  private stepIndex = 0;
  /** The previous step's x̂0 (diffusers' model_outputs[-2]); none before the first step. */
  private previousOriginal: Float32Array | undefined;

  constructor(private readonly config: SchedulerConfig) {
    this.name = config.useKarrasSigmas ? 'dpm-karras' : 'dpm';
    this.trainingSigmas = trainingSigmas(config);
  }

  get timesteps(): readonly number[] {
    return this.schedule;
  }

  /**
   * img2img runs the schedule from t_start, as diffusers' pipeline does with set_begin_index: the
   * first step taken is first order (no history yet) and noise is added at σ of that step.
   */
  setTimesteps(steps: number, strength: number): void {
    checkInferenceArgs(steps, strength, this.config.numTrainTimesteps);
    const start = img2imgStartIndex(steps, strength);
    const { timesteps, sigmas } = this.config.useKarrasSigmas
      ? this.karrasSchedule(steps)
      : this.spacedSchedule(steps);
    this.schedule = timesteps.slice(start);
    this.sigmas = [...sigmas.slice(start), 0];
    this.stepIndex = 0;
    this.previousOriginal = undefined;
  }

  /** α_t·x0 + σ_t·ε at the first σ that runs (the Karras one when Karras sigmas are on). */
  addNoise(original: Float32Array, noise: Float32Array): Float32Array {
    checkStepIndex(0, this.schedule.length);
    return addNoiseAtAlpha(original, noise, alphaProdAt(this.sigmas[0]!));
  }

  /** DPM-Solver feeds the UNet x_t as it is; the same array comes back. */
  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  step(modelOutput: Float32Array, sample: Float32Array, _noise: NoiseSource): StepResult {
    checkStepArgs(this.stepIndex, this.schedule.length, modelOutput, sample);
    const i = this.stepIndex;
    const sigma = this.sigmas[i]!;
    const sigmaNext = this.sigmas[i + 1]!;
    // 1. x̂0 from the model output at σ (diffusers' convert_model_output for dpmsolver++).
    const predOriginal = combine(
      modelOutput,
      sample,
      unclippedOriginal(this.config.predictionType, alphaProdAt(sigma)),
    );
    // 2. h = λ_next − λ and the update's coefficients σ_next/σ (VP) and α_next·(e^−h − 1).
    //    On the last step σ_next = 0: h = ∞, and the update returns x̂0.
    const alphaNext = Math.sqrt(alphaProdAt(sigmaNext));
    const h = Math.log(sigma) - Math.log(sigmaNext);
    const sampleCoeff = (sigmaNext * alphaNext) / (sigma * Math.sqrt(alphaProdAt(sigma)));
    const originalCoeff = alphaNext * (Math.exp(-h) - 1);
    // 3. The first step (no history) and the last (final σ zero) are first order, DDIM's update:
    //    x_next = (σ_next/σ)·x − α_next(e^−h − 1)·x̂0. In between, 2M's midpoint rule:
    //    D = x̂0 + (x̂0 − x̂0_prev)/(2r), r = h_prev/h, in place of x̂0.
    const previous = this.previousOriginal;
    const isLast = i === this.schedule.length - 1;
    let extrapolated = predOriginal;
    if (previous !== undefined && !isLast) {
      const hPrev = Math.log(this.sigmas[i - 1]!) - Math.log(sigma);
      const half = h / (2 * hPrev);
      extrapolated = combine(predOriginal, previous, (m0, m1) => m0 + half * (m0 - m1));
    }
    const prevSample = combine(sample, extrapolated, (x, d) => sampleCoeff * x - originalCoeff * d);
    this.previousOriginal = predOriginal;
    this.stepIndex++;
    return { prevSample, predOriginal };
  }

  /**
   * The config's spacing over steps + 1 points without the last: diffusers' DPM-Solver ends its
   * `linspace` and `leading` schedules one interval above t = 0 (the final step goes to σ = 0).
   * `trailing` already ends there. σ is the training σ at each integer timestep.
   */
  private spacedSchedule(steps: number): { timesteps: number[]; sigmas: number[] } {
    const spaced =
      this.config.timestepSpacing === 'trailing'
        ? spacedTimesteps(this.config, steps)
        : spacedTimesteps(this.config, steps + 1).slice(0, steps);
    const timesteps = integerTimesteps(this.config, steps, spaced);
    return { timesteps, sigmas: timesteps.map((t) => this.trainingSigmas[t]!) };
  }

  /**
   * Karras et al. 2022, eq. 5: σ_i = (σ_max^(1/ρ) + i/(n−1)·(σ_min^(1/ρ) − σ_max^(1/ρ)))^ρ between
   * the training schedule's extremes, stored as float32; each UNet timestep is σ_i's position in
   * the training σ, interpolated in log σ (diffusers' _sigma_to_t) and rounded, except for the
   * cosine schedule, whose fractional timesteps diffusers truncates in its int64 cast.
   */
  private karrasSchedule(steps: number): { timesteps: number[]; sigmas: number[] } {
    const minInvRho = this.trainingSigmas[0]! ** (1 / KARRAS_RHO);
    const maxInvRho = this.trainingSigmas[this.trainingSigmas.length - 1]! ** (1 / KARRAS_RHO);
    // numpy's linspace(0, 1, steps): i·(1/(steps − 1)), the last pinned to 1; [0] for one step.
    const ramp = (i: number): number => (i === 0 ? 0 : i === steps - 1 ? 1 : i * (1 / (steps - 1)));
    const exact = Array.from(
      { length: steps },
      (_, i) => (maxInvRho + ramp(i) * (minInvRho - maxInvRho)) ** KARRAS_RHO,
    );
    // np.log of the float32 σ: float32 logs.
    const logSigmas = this.trainingSigmas.map((sigma) => Math.log(sigma));
    const toInteger = this.config.betaSchedule === 'squaredcos_cap_v2' ? Math.trunc : roundHalfEven;
    return {
      timesteps: exact.map((sigma) => toInteger(timestepOfSigma(logSigmas, sigma))),
      sigmas: exact.map(f32),
    };
  }
}

/** ᾱ of VE noise level σ: the inverse of σ = √((1−ᾱ)/ᾱ), so α_t = √ᾱ and σ_t = √(1−ᾱ). */
function alphaProdAt(sigma: number): number {
  return 1 / (sigma * sigma + 1);
}

/**
 * diffusers' _sigma_to_t: the fractional timestep whose log σ is log `sigma`, linear between the
 * two training timesteps around it (the last pair when beyond them), clamped to that interval.
 */
function timestepOfSigma(logSigmas: Float32Array, sigma: number): number {
  const logSigma = Math.log(Math.max(sigma, 1e-10));
  // The last training timestep whose log σ is at most log `sigma` (0 if none), at most N − 2.
  let low = 0;
  for (let t = 0; t < logSigmas.length && logSigmas[t]! <= logSigma; t++) low = t;
  low = Math.min(low, logSigmas.length - 2);
  const lowLog = logSigmas[low]!;
  const highLog = logSigmas[low + 1]!;
  const w = Math.min(Math.max((lowLog - logSigma) / (lowLog - highLog), 0), 1);
  return (1 - w) * low + w * (low + 1);
}
