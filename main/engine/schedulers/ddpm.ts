import type { PredictionType, SchedulerConfig } from './config.ts';
import { combine } from './latents.ts';

/*
 * The variance-preserving parameterization DDIM, PNDM, DPM-Solver and LCM share:
 * x_t = √ᾱ_t·x0 + √(1−ᾱ_t)·ε.
 */

/** add_noise: a sample of q(x_t | x_0) (Ho et al. 2020, eq. 4) for the given noise ε. */
export function addNoiseAtAlpha(
  original: Float32Array,
  noise: Float32Array,
  alphaProd: number,
): Float32Array {
  const signal = Math.sqrt(alphaProd);
  const spread = Math.sqrt(1 - alphaProd);
  return combine(original, noise, (x0, eps) => signal * x0 + spread * eps);
}

/**
 * x̂0 from the model output at ᾱ_t, clamped to ±clip_sample_range when the config asks:
 * ε: (x − √(1−ᾱ)·ε̂)/√ᾱ (Song et al. 2021, DDIM eq. 12, "predicted x0");
 * v: √ᾱ·x − √(1−ᾱ)·v̂ (Salimans & Ho 2022, v = √ᾱ·ε − √(1−ᾱ)·x0); sample: the output itself.
 */
export function originalFromAlpha(
  config: SchedulerConfig,
  alphaProd: number,
): (output: number, sample: number) => number {
  const predict = unclippedOriginal(config.predictionType, alphaProd);
  if (!config.clipSample) return predict;
  const range = config.clipSampleRange;
  return (output, sample) => Math.min(Math.max(predict(output, sample), -range), range);
}

/**
 * ε̂ from the model output at ᾱ_t, always from the unclipped x̂0 (diffusers' DDIM with
 * use_clipped_model_output false).
 */
export function noiseFromAlpha(
  predictionType: PredictionType,
  alphaProd: number,
): (output: number, sample: number) => number {
  const rootAlpha = Math.sqrt(alphaProd);
  const rootBeta = Math.sqrt(1 - alphaProd);
  switch (predictionType) {
    case 'epsilon':
      return (output) => output;
    case 'v_prediction':
      return (output, sample) => rootAlpha * output + rootBeta * sample;
    case 'sample':
      return (output, sample) => (sample - rootAlpha * output) / rootBeta;
  }
}

/** originalFromAlpha without clipping, for schedulers that have no clip_sample (PNDM, DPM-Solver). */
export function unclippedOriginal(
  predictionType: PredictionType,
  alphaProd: number,
): (output: number, sample: number) => number {
  const rootAlpha = Math.sqrt(alphaProd);
  const rootBeta = Math.sqrt(1 - alphaProd);
  switch (predictionType) {
    case 'epsilon':
      return (output, sample) => (sample - rootBeta * output) / rootAlpha;
    case 'v_prediction':
      return (output, sample) => rootAlpha * sample - rootBeta * output;
    case 'sample':
      return (output) => output;
  }
}
