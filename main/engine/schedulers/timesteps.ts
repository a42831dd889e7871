import { EngineError } from '../errors.ts';
import type { SchedulerConfig } from './config.ts';

/** Rejects step counts and strengths no schedule can be built from (diffusers: ValueError). */
export function checkInferenceArgs(
  steps: number,
  strength: number,
  numTrainTimesteps: number,
): void {
  if (!Number.isInteger(steps) || steps < 1 || steps > numTrainTimesteps) {
    throw new EngineError(
      'BAD_ARGUMENT',
      `steps must be an integer from 1 to ${numTrainTimesteps} (the model's training timesteps), got ${steps}`,
    );
  }
  if (!(strength >= 0 && strength <= 1)) {
    throw new EngineError('BAD_ARGUMENT', `strength must be in [0, 1], got ${strength}`);
  }
}

/**
 * Why a custom schedule cannot run, or undefined: it must run downhill through the model's
 * training timesteps; diffusers would interpolate σ past either end, or step back up, without a
 * word. The style catalogue checks its lists with this too, before any model is loaded.
 */
export function customTimestepsFault(
  timesteps: readonly number[],
  numTrainTimesteps: number,
): string | undefined {
  const last = numTrainTimesteps - 1;
  return timesteps.length === 0
    ? 'is empty'
    : timesteps.some((t) => !(Number.isFinite(t) && t >= 0 && t <= last))
      ? `must lie from 0 to ${last} (the model's training timesteps)`
      : timesteps.some((t, i) => i > 0 && t >= timesteps[i - 1]!)
        ? 'must fall strictly, highest first'
        : undefined;
}

export function checkCustomTimesteps(
  timesteps: readonly number[],
  numTrainTimesteps: number,
): void {
  const fault = customTimestepsFault(timesteps, numTrainTimesteps);
  if (fault) {
    throw new EngineError('BAD_ARGUMENT', `timesteps [${timesteps.join(', ')}] ${fault}`);
  }
}

/**
 * img2img's strength rule (diffusers' StableDiffusionImg2ImgPipeline.get_timesteps): run the last
 * floor(steps·strength) timesteps of the schedule; returns t_start, the index of the first one.
 * The product is taken in IEEE double and truncated, exactly as Python's int(steps * strength):
 * 10 × 0.7 = 7.000000000000001 gives 7, and 100 × 0.29 = 28.999999999999996 gives 28, as it does
 * in diffusers. Rounding it "correctly" would run a different schedule than the reference.
 */
export function img2imgStartIndex(steps: number, strength: number): number {
  const initTimestep = Math.min(Math.floor(steps * strength), steps);
  if (initTimestep < 1) {
    throw new EngineError(
      'BAD_ARGUMENT',
      `steps × strength must be at least 1 (got ${steps} × ${strength}): no denoising step would run; ` +
        `raise the strength or the number of steps`,
    );
  }
  return steps - initTimestep;
}

/**
 * The `steps` inference timesteps for the config's `timestep_spacing`, highest first (Lin et al.
 * 2024, "Common Diffusion Noise Schedules and Sample Steps are Flawed", Table 2), as diffusers'
 * set_timesteps computes them before its per-class cast: `leading` and `trailing` are integers,
 * `linspace` may be fractional (Euler keeps it as float32, DDIM rounds it half to even).
 */
export function spacedTimesteps(config: SchedulerConfig, steps: number): number[] {
  const n = config.numTrainTimesteps;
  switch (config.timestepSpacing) {
    case 'leading': {
      // arange(steps) · (N // steps), reversed, + steps_offset.
      const ratio = Math.floor(n / steps);
      return Array.from({ length: steps }, (_, i) => (steps - 1 - i) * ratio + config.stepsOffset);
    }
    case 'trailing': {
      // round(arange(N, 0, −N/steps)) − 1. numpy fills a float arange as
      // start + i·(second − start). For 62 of the 1000 step counts its length rounds up to
      // steps + 1 and diffusers runs an extra step at timestep −1; we keep the first `steps`
      // values, which equal diffusers' own.
      const delta = n - n / steps - n;
      return Array.from({ length: steps }, (_, i) => roundHalfEven(n + i * delta) - 1);
    }
    case 'linspace': {
      // linspace(0, N − 1, steps), reversed: numpy multiplies i by one step and pins the endpoint;
      // a single step is [0].
      if (steps === 1) return [0];
      const step = (n - 1) / (steps - 1);
      return Array.from({ length: steps }, (_, i) => (i === 0 ? n - 1 : (steps - 1 - i) * step));
    }
  }
}

/**
 * `spaced` (by default the config's `steps` timesteps) rounded to integers as numpy rounds, for
 * the schedulers that index ᾱ by timestep. Rejects a schedule whose first timestep lies past the
 * model's last: `leading` + steps_offset reaches N once steps > N/2, where diffusers would index
 * past ᾱ.
 */
export function integerTimesteps(
  config: SchedulerConfig,
  steps: number,
  spaced: readonly number[] = spacedTimesteps(config, steps),
): number[] {
  const timesteps = spaced.map(roundHalfEven);
  const last = config.numTrainTimesteps - 1;
  if (timesteps[0]! > last) {
    throw new EngineError(
      'BAD_ARGUMENT',
      `${steps} steps with steps_offset ${config.stepsOffset} reach timestep ${timesteps[0]}, past the model's last (${last}); use fewer steps`,
    );
  }
  return timesteps;
}

/** numpy's round: halves go to the even neighbour (62.5 → 62, 937.5 → 938). */
export function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const fraction = x - floor;
  if (fraction !== 0.5) return Math.round(x);
  return floor % 2 === 0 ? floor : floor + 1;
}

/** Guards against use before setTimesteps and past the last timestep. */
export function checkStepIndex(stepIndex: number, timestepCount: number): void {
  if (timestepCount === 0) {
    throw new EngineError('BAD_ARGUMENT', 'setTimesteps() must be called before denoising');
  }
  if (stepIndex >= timestepCount) {
    throw new EngineError(
      'BAD_ARGUMENT',
      `the ${timestepCount}-step schedule is already complete (one scheduler per job)`,
    );
  }
}

/** checkStepIndex, plus model output and latents of the same size. */
export function checkStepArgs(
  stepIndex: number,
  timestepCount: number,
  modelOutput: Float32Array,
  sample: Float32Array,
): void {
  checkStepIndex(stepIndex, timestepCount);
  if (modelOutput.length !== sample.length) {
    throw new EngineError(
      'BAD_ARGUMENT',
      `model output has ${modelOutput.length} values but the latents have ${sample.length}`,
    );
  }
}
