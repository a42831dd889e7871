import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSchedulerConfig } from './config.ts';
import { LcmScheduler, guidanceScaleEmbedding } from './lcm.ts';
import {
  ConstantNoise,
  SD_ALPHA_PROD,
  assertAllClose,
  assertClose,
  assertEngineError,
  latents,
} from '../../testing/schedulers.ts';

/** LCM-Dreamshaper's scheduler_config.json. */
const LCM_CONFIG = {
  _class_name: 'LCMScheduler',
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  beta_start: 0.00085,
  clip_sample: false,
  num_train_timesteps: 1000,
  original_inference_steps: 50,
  prediction_type: 'epsilon',
  set_alpha_to_one: true,
  steps_offset: 1,
  timestep_scaling: 10.0,
  timestep_spacing: 'leading',
  trained_betas: null,
};

const lcm = (json: Record<string, unknown> = LCM_CONFIG): LcmScheduler =>
  new LcmScheduler(parseSchedulerConfig(json, 'lcm'));

describe('LcmScheduler timesteps', () => {
  // k = 1000 // 50 = 20; the distillation schedule is 19, 39, …, 999.
  it('4 steps at strength 1: indices floor(linspace(0, 50, 4, endpoint=False)) = 0, 12, 25, 37', () => {
    const scheduler = lcm();
    scheduler.setTimesteps(4, 1);
    // Highest first, index j → (50 − j)·20 − 1.
    assert.deepEqual(scheduler.timesteps, [999, 759, 499, 259]);
  });

  it('4 steps at strength 0.5: strength truncates the distillation schedule, all 4 steps run', () => {
    const scheduler = lcm();
    scheduler.setTimesteps(4, 0.5);
    // int(50 × 0.5) = 25 entries 19 … 499; indices 0, 6, 12, 18 → (25 − j)·20 − 1.
    assert.deepEqual(scheduler.timesteps, [499, 379, 259, 139]);
  });

  it('3 steps and 1 step', () => {
    const scheduler = lcm();
    scheduler.setTimesteps(3, 1);
    // linspace(0, 50, 3, endpoint=False) = 0, 16.67, 33.33 → 0, 16, 33.
    assert.deepEqual(scheduler.timesteps, [999, 679, 339]);
    scheduler.setTimesteps(1, 0.5); // steps × strength < 1 is fine for LCM: 25 ≥ 1
    assert.deepEqual(scheduler.timesteps, [499]);
  });

  it('rejects more steps than the truncated distillation schedule holds', () => {
    assertEngineError(() => lcm().setTimesteps(4, 0.05), 'BAD_ARGUMENT', /50 × 0.05 < 4/);
    assertEngineError(() => lcm().setTimesteps(51, 1), 'BAD_ARGUMENT', /at most 50 steps/);
    assertEngineError(() => lcm().setTimesteps(1, 0), 'BAD_ARGUMENT', /LCM needs/);
  });
});

describe('LcmScheduler step', () => {
  it('denoises with the boundary condition, then re-noises to the next timestep', () => {
    // timestep_scaling 0.001 makes both scalings matter: s = 499·0.001 = 0.499.
    const scheduler = lcm({ ...LCM_CONFIG, timestep_scaling: 0.001 });
    scheduler.setTimesteps(4, 0.5);
    const s = 0.499;
    const cSkip = 0.25 / (s * s + 0.25); // ≈ 0.50100
    const cOut = s / Math.sqrt(s * s + 0.25); // ≈ 0.70640
    assertClose(cSkip, 0.501, 1e-3);
    assertClose(cOut, 0.7064, 1e-3);

    const a = SD_ALPHA_PROD[499]!;
    const x0 = (2 - Math.sqrt(1 - a) * 0.5) / Math.sqrt(a);
    const denoised = cOut * x0 + cSkip * 2;
    const noise = new ConstantNoise(-1);
    const { prevSample, predOriginal } = scheduler.step(latents(0.5), latents(2), noise);
    assertAllClose(predOriginal, [denoised]);
    // √ᾱ_379·denoised + √(1−ᾱ_379)·z with z = −1.
    const ap = SD_ALPHA_PROD[379]!;
    assertAllClose(prevSample, [Math.sqrt(ap) * denoised - Math.sqrt(1 - ap)]);
    assert.equal(noise.draws, 1);
  });

  it('returns denoised on the last step without drawing noise', () => {
    const scheduler = lcm();
    scheduler.setTimesteps(1, 1);
    assert.deepEqual(scheduler.timesteps, [999]);
    const noise = new ConstantNoise(5);
    const { prevSample, predOriginal } = scheduler.step(latents(0.5), latents(2), noise);
    assert.equal(noise.draws, 0);
    assertAllClose(prevSample, predOriginal);
    // At s = 9990, c_out ≈ 1 and c_skip ≈ 2.5e-9: denoised ≈ x0.
    const a = SD_ALPHA_PROD[999]!;
    assertAllClose(prevSample, [(2 - Math.sqrt(1 - a) * 0.5) / Math.sqrt(a)], 1e-5);
  });

  it('handles v_prediction and adds noise as DDPM at the first timestep', () => {
    const scheduler = lcm({ ...LCM_CONFIG, prediction_type: 'v_prediction' });
    scheduler.setTimesteps(4, 1);
    const a = SD_ALPHA_PROD[999]!;
    assertAllClose(scheduler.addNoise(latents(1, 0), latents(0, 1)), [
      Math.sqrt(a),
      Math.sqrt(1 - a),
    ]);
    const { predOriginal } = scheduler.step(latents(0.5), latents(2), new ConstantNoise(0));
    const s = 9990;
    const x0 = Math.sqrt(a) * 2 - Math.sqrt(1 - a) * 0.5;
    assertAllClose(predOriginal, [
      (s / Math.sqrt(s * s + 0.25)) * x0 + (0.25 / (s * s + 0.25)) * 2,
    ]);
    const x = latents(1);
    assert.equal(scheduler.scaleModelInput(x), x);
  });
});

describe('guidanceScaleEmbedding', () => {
  it('is sin ‖ cos of w·1000 at frequencies 1 … 1e-4', () => {
    const embedding = guidanceScaleEmbedding(7.5, 256);
    assert.equal(embedding.length, 256);
    // Frequency 1 at i = 0: angle 7500 (exact in float32).
    assertClose(embedding[0]!, Math.sin(7500), 1e-6);
    assertClose(embedding[128]!, Math.cos(7500), 1e-6);
    // Frequency 10000^(−127/127) = 1e-4 at i = 127: angle 0.75.
    assertClose(embedding[127]!, Math.sin(0.75), 1e-5);
    assertClose(embedding[255]!, Math.cos(0.75), 1e-5);
  });

  it('is all sin 0 and cos 1 for w = 0 (guidance scale 1), zero-padded for an odd size', () => {
    const embedding = guidanceScaleEmbedding(0, 9);
    assert.deepEqual([...embedding], [0, 0, 0, 0, 1, 1, 1, 1, 0]);
    assertEngineError(() => guidanceScaleEmbedding(1, 3), 'BAD_ARGUMENT', />= 4/);
  });
});
