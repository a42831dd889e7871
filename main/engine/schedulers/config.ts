import { EngineError } from '../errors.ts';
import type { SchedulerName } from './scheduler.ts';

/** Where model folders keep the file read here; errors name it so users know what to fix. */
export const SCHEDULER_CONFIG_FILE = 'scheduler/scheduler_config.json';

export const BETA_SCHEDULES = ['linear', 'scaled_linear', 'squaredcos_cap_v2'] as const;
export type BetaSchedule = (typeof BETA_SCHEDULES)[number];

export const PREDICTION_TYPES = ['epsilon', 'v_prediction', 'sample'] as const;
export type PredictionType = (typeof PREDICTION_TYPES)[number];

export const TIMESTEP_SPACINGS = ['leading', 'trailing', 'linspace'] as const;
export type TimestepSpacing = (typeof TIMESTEP_SPACINGS)[number];

/**
 * A diffusers `scheduler_config.json`, every gap filled with the default of the diffusers class
 * that will run it: `parseSchedulerConfig(json, 'ddim')` reads as `DDIMScheduler.from_config(json)`.
 * Fields a scheduler has no use for keep a neutral value (Euler ignores `clipSample`, LCM ignores
 * `timestepSpacing` and `stepsOffset`, as in diffusers; `dpm-karras` is DPM-Solver++ with
 * `useKarrasSigmas` forced on).
 */
export interface SchedulerConfig {
  /** `_class_name`: the diffusers class the model was exported with, when the file names one. */
  readonly className: string | undefined;
  readonly numTrainTimesteps: number;
  readonly betaStart: number;
  readonly betaEnd: number;
  readonly betaSchedule: BetaSchedule;
  /** One beta per training timestep; overrides `betaSchedule` when present. */
  readonly trainedBetas: readonly number[] | undefined;
  readonly predictionType: PredictionType;
  readonly timestepSpacing: TimestepSpacing;
  /** Added to `leading` timesteps (SD 1.x ships 1). */
  readonly stepsOffset: number;
  /** Lin et al. 2024, "Common Diffusion Noise Schedules and Sample Steps are Flawed", Alg. 1. */
  readonly rescaleBetasZeroSnr: boolean;
  /** DDIM/PNDM/LCM: ᾱ after the last step is 1 (true) or ᾱ_0 (false; SD 1.x ships false). */
  readonly setAlphaToOne: boolean;
  /** DDIM/LCM: clamp the predicted x0 to ±`clipSampleRange`. */
  readonly clipSample: boolean;
  readonly clipSampleRange: number;
  /** LCM: length of the distillation schedule the inference timesteps are picked from. */
  readonly originalInferenceSteps: number;
  /** LCM: multiplies the timestep in the c_skip/c_out boundary scalings. */
  readonly timestepScaling: number;
  /** DPM-Solver: Karras et al. 2022's σ schedule (eq. 5, ρ = 7) instead of the spaced timesteps. */
  readonly useKarrasSigmas: boolean;
}

const COMMON_DEFAULTS: SchedulerConfig = {
  className: undefined,
  numTrainTimesteps: 1000,
  betaStart: 0.0001,
  betaEnd: 0.02,
  betaSchedule: 'linear',
  trainedBetas: undefined,
  predictionType: 'epsilon',
  timestepSpacing: 'leading',
  stepsOffset: 0,
  rescaleBetasZeroSnr: false,
  setAlphaToOne: true,
  clipSample: false,
  clipSampleRange: 1,
  originalInferenceSteps: 50,
  timestepScaling: 10,
  useKarrasSigmas: false,
};

/**
 * The `__init__` defaults of each diffusers class (they differ: DDIM clips, PNDM ends on ᾱ_0, LCM
 * is SD-scaled).
 */
const DIFFUSERS_DEFAULTS: Readonly<Record<SchedulerName, SchedulerConfig>> = {
  euler: { ...COMMON_DEFAULTS, timestepSpacing: 'linspace' },
  'euler-a': { ...COMMON_DEFAULTS, timestepSpacing: 'linspace' },
  ddim: { ...COMMON_DEFAULTS, clipSample: true },
  pndm: { ...COMMON_DEFAULTS, setAlphaToOne: false },
  dpm: { ...COMMON_DEFAULTS, timestepSpacing: 'linspace' },
  'dpm-karras': { ...COMMON_DEFAULTS, timestepSpacing: 'linspace', useKarrasSigmas: true },
  lcm: { ...COMMON_DEFAULTS, betaStart: 0.00085, betaEnd: 0.012, betaSchedule: 'scaled_linear' },
};

/** diffusers' EulerAncestralDiscreteScheduler and PNDMScheduler raise for `sample`. */
const PREDICTION_TYPES_BY_SCHEDULER: Readonly<Record<SchedulerName, readonly PredictionType[]>> = {
  euler: PREDICTION_TYPES,
  'euler-a': ['epsilon', 'v_prediction'],
  ddim: PREDICTION_TYPES,
  pndm: ['epsilon', 'v_prediction'],
  dpm: PREDICTION_TYPES,
  'dpm-karras': PREDICTION_TYPES,
  lcm: PREDICTION_TYPES,
};

const DPM: readonly SchedulerName[] = ['dpm', 'dpm-karras'];

/**
 * Options diffusers offers that we do not implement. Ignoring one would silently produce other
 * latents than the model's authors intended, so a config that turns one on is refused instead.
 * Only classes that have the option are checked: DDIM ignores Euler's options, as diffusers does.
 * DPM-Solver's `lower_order_final` and `euler_at_final` are not listed: with solver_order 2 and
 * final_sigmas_type "zero" they change nothing (the last step is first order either way).
 */
const UNSUPPORTED_OPTIONS: readonly {
  key: string;
  supported: readonly (string | boolean | number)[];
  schedulers: readonly SchedulerName[];
}[] = [
  { key: 'use_karras_sigmas', supported: [false], schedulers: ['euler'] },
  { key: 'use_exponential_sigmas', supported: [false], schedulers: ['euler', ...DPM] },
  { key: 'use_beta_sigmas', supported: [false], schedulers: ['euler', ...DPM] },
  { key: 'interpolation_type', supported: ['linear'], schedulers: ['euler'] },
  { key: 'timestep_type', supported: ['discrete'], schedulers: ['euler'] },
  { key: 'final_sigmas_type', supported: ['zero'], schedulers: ['euler', ...DPM] },
  { key: 'thresholding', supported: [false], schedulers: ['ddim', 'lcm', ...DPM] },
  // We run PLMS only, as SD ships it; PRK's Runge-Kutta warm-up steps are not implemented.
  { key: 'skip_prk_steps', supported: [true], schedulers: ['pndm'] },
  // diffusers' own __init__ turns DEIS's "deis" into dpmsolver++ and UniPC's solver types into
  // midpoint, so configs of those classes run as it runs them.
  { key: 'algorithm_type', supported: ['dpmsolver++', 'deis'], schedulers: DPM },
  { key: 'solver_type', supported: ['midpoint', 'logrho', 'bh1', 'bh2'], schedulers: DPM },
  { key: 'solver_order', supported: [2], schedulers: DPM },
  { key: 'use_lu_lambdas', supported: [false], schedulers: DPM },
  { key: 'use_flow_sigmas', supported: [false], schedulers: DPM },
  { key: 'use_dynamic_shifting', supported: [false], schedulers: DPM },
  // Learned variances and λ clipping (cosine schedules) are for pixel-space models: any value is
  // refused. diffusers saves the default, −∞, as a bare -Infinity, which model-folder.ts reads as
  // null, i.e. absent.
  { key: 'variance_type', supported: [], schedulers: DPM },
  { key: 'lambda_min_clipped', supported: [], schedulers: DPM },
];

/**
 * Reads a parsed `scheduler_config.json` for the scheduler that will run it. Absent keys (and JSON
 * `null`, which diffusers writes for unset options such as `trained_betas`) take that diffusers
 * class's default. Throws EngineError('CONFIG_INVALID') naming the key, and for enums the accepted
 * values, when a value is of the wrong type, out of range or not supported.
 */
export function parseSchedulerConfig(json: unknown, scheduler: SchedulerName): SchedulerConfig {
  const raw = asObject(json);
  const defaults = DIFFUSERS_DEFAULTS[scheduler];

  for (const option of UNSUPPORTED_OPTIONS) {
    const value = present(raw, option.key);
    if (!option.schedulers.includes(scheduler) || value === undefined) continue;
    if (!option.supported.includes(value as string | boolean)) {
      throw invalid(
        `${option.key} ${JSON.stringify(value)} is not supported by ${scheduler}; accepted: ${option.supported.join(', ')}`,
      );
    }
  }

  const numTrainTimesteps = readInteger(
    raw,
    'num_train_timesteps',
    defaults.numTrainTimesteps,
    2,
    MAX_TRAIN_TIMESTEPS,
  );
  const config: SchedulerConfig = {
    className: readClassName(raw),
    numTrainTimesteps,
    betaStart: readUnitInterval(raw, 'beta_start', defaults.betaStart),
    betaEnd: readUnitInterval(raw, 'beta_end', defaults.betaEnd),
    betaSchedule: readEnum(raw, 'beta_schedule', BETA_SCHEDULES, defaults.betaSchedule),
    trainedBetas: readTrainedBetas(raw, numTrainTimesteps),
    predictionType: readEnum(
      raw,
      'prediction_type',
      PREDICTION_TYPES_BY_SCHEDULER[scheduler],
      defaults.predictionType,
    ),
    timestepSpacing: readEnum(raw, 'timestep_spacing', TIMESTEP_SPACINGS, defaults.timestepSpacing),
    stepsOffset: readInteger(raw, 'steps_offset', defaults.stepsOffset, 0),
    // diffusers' PNDMScheduler has no such option; from_config drops the key.
    rescaleBetasZeroSnr:
      scheduler !== 'pndm' &&
      readBoolean(raw, 'rescale_betas_zero_snr', defaults.rescaleBetasZeroSnr),
    setAlphaToOne: readBoolean(raw, 'set_alpha_to_one', defaults.setAlphaToOne),
    clipSample: readBoolean(raw, 'clip_sample', defaults.clipSample),
    clipSampleRange: readPositive(raw, 'clip_sample_range', defaults.clipSampleRange),
    originalInferenceSteps: readInteger(
      raw,
      'original_inference_steps',
      defaults.originalInferenceSteps,
      1,
    ),
    timestepScaling: readPositive(raw, 'timestep_scaling', defaults.timestepScaling),
    // `dpm-karras` asks for Karras sigmas whatever the file says; other classes ignore the key.
    useKarrasSigmas:
      scheduler === 'dpm'
        ? readBoolean(raw, 'use_karras_sigmas', defaults.useKarrasSigmas)
        : defaults.useKarrasSigmas,
  };
  if (scheduler === 'lcm' && config.originalInferenceSteps > numTrainTimesteps) {
    throw invalid(
      `original_inference_steps ${config.originalInferenceSteps} exceeds num_train_timesteps ${numTrainTimesteps}`,
    );
  }
  return Object.freeze(config);
}

export interface SchedulerChoice {
  readonly name: SchedulerName;
  /** Why the model's own class is not what runs, for the log; undefined if it runs as exported. */
  readonly note: string | undefined;
}

const NATIVE_CLASSES: Readonly<Record<string, SchedulerName>> = {
  EulerDiscreteScheduler: 'euler',
  EulerAncestralDiscreteScheduler: 'euler-a',
  DDIMScheduler: 'ddim',
  PNDMScheduler: 'pndm',
  DPMSolverMultistepScheduler: 'dpm',
  LCMScheduler: 'lcm',
};

/**
 * Classes diffusers lists as interchangeable with ours (`KarrasDiffusionSchedulers`) that we do
 * not implement: they are configured by the same betas and ᾱ, so the model was trained on the
 * noise schedule DDIM runs. Their solvers (ancestral DDPM, linear multistep, Heun, single-step and
 * SDE DPM-Solver, DEIS, UniPC) approximate the same reverse process with other updates, so DDIM's
 * result (eta 0, the first-order deterministic update) differs from theirs in detail, not in kind.
 * Caveat, as in diffusers' `DDIMScheduler.from_config`: a config without `clip_sample` gets DDIM's
 * default (true).
 */
const RUN_AS_DDIM = new Set([
  'DDPMScheduler',
  'LMSDiscreteScheduler',
  'HeunDiscreteScheduler',
  'KDPM2DiscreteScheduler',
  'KDPM2AncestralDiscreteScheduler',
  'DPMSolverSinglestepScheduler',
  'DPMSolverSDEScheduler',
  'DEISMultistepScheduler',
  'UniPCMultistepScheduler',
]);

/**
 * Our default scheduler for a diffusers `_class_name`. Any other class, or none, is refused
 * (CONFIG_INVALID) rather than guessed: a class outside the list above means another model family
 * (e.g. SD3's FlowMatchEulerDiscreteScheduler), on which DDIM would produce noise. The caller can
 * still name a scheduler explicitly.
 */
export function schedulerForClassName(className: string | undefined): SchedulerChoice {
  if (className !== undefined) {
    const native = NATIVE_CLASSES[className];
    if (native !== undefined) return { name: native, note: undefined };
    if (RUN_AS_DDIM.has(className)) {
      return {
        name: 'ddim',
        note: `${className} is not implemented; running DDIM, which uses the same noise schedule`,
      };
    }
  }
  const accepted = [...Object.keys(NATIVE_CLASSES), ...RUN_AS_DDIM].join(', ');
  throw invalid(
    `_class_name ${className === undefined ? 'is missing' : `"${className}" is not a Stable Diffusion scheduler`}; ` +
      `choose a scheduler explicitly or use a config whose _class_name is one of: ${accepted}`,
  );
}

/** `schedulerForClassName` for a parsed config file. */
export function schedulerForConfig(json: unknown): SchedulerChoice {
  return schedulerForClassName(readClassName(asObject(json)));
}

type JsonObject = Readonly<Record<string, unknown>>;

function asObject(json: unknown): JsonObject {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw invalid('expected a JSON object');
  }
  return json as JsonObject;
}

function invalid(message: string): EngineError {
  return new EngineError(
    'CONFIG_INVALID',
    `${SCHEDULER_CONFIG_FILE}: ${message}`,
    SCHEDULER_CONFIG_FILE,
  );
}

/** The value at `key`, or undefined when absent or null. */
function present(raw: JsonObject, key: string): unknown {
  const value = raw[key];
  return value === null ? undefined : value;
}

function readClassName(raw: JsonObject): string | undefined {
  const value = present(raw, '_class_name');
  if (value !== undefined && typeof value !== 'string')
    throw invalid('_class_name must be a string');
  return value;
}

function readEnum<T extends string>(
  raw: JsonObject,
  key: string,
  accepted: readonly T[],
  fallback: T,
): T {
  const value = present(raw, key);
  if (value === undefined) return fallback;
  if (!accepted.includes(value as T)) {
    throw invalid(
      `${key} ${JSON.stringify(value)} is not supported; accepted: ${accepted.join(', ')}`,
    );
  }
  return value as T;
}

function readBoolean(raw: JsonObject, key: string, fallback: boolean): boolean {
  const value = present(raw, key);
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean')
    throw invalid(`${key} must be true or false, got ${JSON.stringify(value)}`);
  return value;
}

function readNumber(raw: JsonObject, key: string, fallback: number): number {
  const value = present(raw, key);
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw invalid(`${key} must be a number, got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * Every SD model trains on 1000 timesteps; the schedule is allocated at this length, so a config
 * asking for 1e12 must be refused by name rather than fail to allocate.
 */
const MAX_TRAIN_TIMESTEPS = 100_000;

function readInteger(
  raw: JsonObject,
  key: string,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const value = readNumber(raw, key, fallback);
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
    throw invalid(`${key} must be an integer ${range}, got ${value}`);
  }
  return value;
}

function readPositive(raw: JsonObject, key: string, fallback: number): number {
  const value = readNumber(raw, key, fallback);
  if (value <= 0) throw invalid(`${key} must be > 0, got ${value}`);
  return value;
}

function readUnitInterval(raw: JsonObject, key: string, fallback: number): number {
  const value = readNumber(raw, key, fallback);
  if (value < 0 || value >= 1) throw invalid(`${key} must be in [0, 1), got ${value}`);
  return value;
}

function readTrainedBetas(
  raw: JsonObject,
  numTrainTimesteps: number,
): readonly number[] | undefined {
  const value = present(raw, 'trained_betas');
  if (value === undefined) return undefined;
  if (
    !Array.isArray(value) ||
    value.length !== numTrainTimesteps ||
    !value.every((beta) => typeof beta === 'number' && beta >= 0 && beta < 1)
  ) {
    throw invalid(
      `trained_betas must be ${numTrainTimesteps} numbers in [0, 1) (one per training timestep)`,
    );
  }
  return Object.freeze([...(value as number[])]);
}
