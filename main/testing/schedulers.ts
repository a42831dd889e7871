/* Shared by the scheduler tests only. */
import assert from 'node:assert/strict';
import { isEngineError } from '../engine/errors.ts';
import type { NoiseSource } from '../engine/random.ts';

/** Stable Diffusion 1.5's scheduler_config.json, as its ONNX exports ship it. */
export const SD15_CONFIG = Object.freeze({
  _class_name: 'PNDMScheduler',
  _diffusers_version: '0.6.0',
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  beta_start: 0.00085,
  num_train_timesteps: 1000,
  set_alpha_to_one: false,
  skip_prk_steps: true,
  steps_offset: 1,
  trained_betas: null,
  clip_sample: false,
});

/**
 * ᾱ_t and σ_t = √((1−ᾱ_t)/ᾱ_t) of SD's scaled_linear schedule, computed independently in float64
 * (Python, β_i = (√0.00085 + i/999·(√0.012 − √0.00085))²). Our float32 schedule agrees to ~1e-6.
 */
export const SD_ALPHA_PROD: Readonly<Record<number, number>> = {
  0: 0.99915,
  1: 0.9982960278384514,
  19: 0.9822439910955454,
  100: 0.8942234775865594,
  139: 0.8431402187898136,
  200: 0.7536920451608515,
  201: 0.7521434016355804,
  259: 0.658975526890813,
  300: 0.590501058799611,
  301: 0.5888187041501128,
  379: 0.4585093294658958,
  400: 0.4244830240309834,
  401: 0.42288152426173453,
  499: 0.27766965045646763,
  500: 0.2763326838229746,
  501: 0.2749990668501319,
  581: 0.17986360668322401,
  601: 0.15981643744582555,
  701: 0.0819167135288971,
  759: 0.05221292829431003,
  801: 0.036546524607714,
  901: 0.01400489789394391,
  961: 0.007281727140942979,
  981: 0.005775500139495745,
  999: 0.004660098513077236,
};
export const SD_SIGMA: Readonly<Record<number, number>> = {
  0: 0.029167158151720367,
  1: 0.04131441199678309,
  499: 1.612886194303876,
  666: 2.9183071154268285,
  946: 10.721358448874646,
  947: 10.781886606237915,
  981: 13.120410742553984,
  999: 14.614641229333643,
};

export function assertClose(actual: number, expected: number, relTol = 1e-5, what = ''): void {
  const tolerance = relTol * Math.max(Math.abs(expected), 1e-12);
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what} expected ${expected}, got ${actual} (relative tolerance ${relTol})`,
  );
}

export function assertAllClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  relTol = 1e-5,
): void {
  assert.equal(actual.length, expected.length, 'length');
  for (let i = 0; i < expected.length; i++) {
    assertClose(actual[i]!, expected[i]!, relTol, `[${i}]`);
  }
}

/** Latents holding `values`. */
export const latents = (...values: number[]): Float32Array => Float32Array.from(values);

/** Noise with a known value, counting how many draws a scheduler makes. */
export class ConstantNoise implements NoiseSource {
  draws = 0;
  constructor(private readonly value: number) {}
  normal(length: number): Float32Array {
    this.draws++;
    return new Float32Array(length).fill(this.value);
  }
}

/** Runs `fn` and checks it throws an EngineError with `code` whose message matches `pattern`. */
export function assertEngineError(fn: () => unknown, code: string, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(isEngineError(error), `expected an EngineError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.match(error.message, pattern);
    return true;
  });
}
