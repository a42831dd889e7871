import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSchedulerConfig } from './config.ts';
import { EulerScheduler } from './euler.ts';
import {
  ConstantNoise,
  SD15_CONFIG,
  SD_SIGMA,
  assertAllClose,
  assertClose,
  assertEngineError,
  latents,
} from '../../testing/schedulers.ts';

/** SD-Turbo's scheduler_config.json (Euler, trailing). */
const TURBO = {
  ...SD15_CONFIG,
  _class_name: 'EulerDiscreteScheduler',
  timestep_spacing: 'trailing',
};

const euler = (json: Record<string, unknown>): EulerScheduler =>
  new EulerScheduler(parseSchedulerConfig(json, 'euler'));
const noise = new ConstantNoise(0);

describe('EulerScheduler', () => {
  it('SD-Turbo img2img, 2 steps at strength 0.5: one UNet call at t = 499', () => {
    const scheduler = euler(TURBO);
    scheduler.setTimesteps(2, 0.5);
    assert.deepEqual(scheduler.timesteps, [499]);

    // add_noise: x0 + σ_499·ε.
    const noised = scheduler.addNoise(latents(0.5, -1), latents(1, 2));
    assertAllClose(noised, [0.5 + SD_SIGMA[499]!, -1 + 2 * SD_SIGMA[499]!]);

    // UNet input x/√(σ²+1).
    const scale = Math.sqrt(SD_SIGMA[499]! ** 2 + 1);
    assertAllClose(scheduler.scaleModelInput(latents(3, -3)), [3 / scale, -3 / scale]);

    // ε step to σ_next = 0: x0 = x − σ·ε̂ and x_prev = x + ε̂·(0 − σ) land on the same point.
    const x = latents(2, -0.5);
    const eps = latents(0.25, 1);
    const { prevSample, predOriginal } = scheduler.step(eps, x, noise);
    const expected = [2 - 0.25 * SD_SIGMA[499]!, -0.5 - SD_SIGMA[499]!];
    assertAllClose(predOriginal, expected);
    assertAllClose(prevSample, expected);

    assertEngineError(() => scheduler.step(eps, x, noise), 'BAD_ARGUMENT', /already complete/);
  });

  it('full trailing schedule steps from σ_999 to σ_499', () => {
    const scheduler = euler(TURBO);
    scheduler.setTimesteps(2, 1);
    assert.deepEqual(scheduler.timesteps, [999, 499]);
    assertAllClose(scheduler.addNoise(latents(0), latents(1)), [SD_SIGMA[999]!]);
    // x_next = x + ε̂·(σ_499 − σ_999).
    const { prevSample } = scheduler.step(latents(0.5), latents(10), noise);
    assertAllClose(prevSample, [10 + 0.5 * (SD_SIGMA[499]! - SD_SIGMA[999]!)]);
    // The second call scales with σ_499.
    assertAllClose(scheduler.scaleModelInput(latents(1)), [1 / Math.sqrt(SD_SIGMA[499]! ** 2 + 1)]);
  });

  it('custom timesteps run as the spaced schedule with the same timesteps does', () => {
    // [999, 666, 332] is the 3-step trailing schedule; strength 0.67 runs its last two.
    const spaced = euler(TURBO);
    spaced.setTimesteps(3, 0.67);
    const custom = euler(TURBO);
    custom.setCustomTimesteps([999, 666, 332], 0.67);
    assert.deepEqual(custom.timesteps, spaced.timesteps);
    assert.deepEqual(custom.timesteps, [666, 332]);
    const x0 = latents(0.5, -1);
    const eps = latents(1, 2);
    assert.deepEqual(custom.addNoise(x0, eps), spaced.addNoise(x0, eps));
    for (const prediction of [latents(0.25, 1), latents(-0.5, 0.75)]) {
      const x = latents(2, -0.5);
      assert.deepEqual(custom.scaleModelInput(x), spaced.scaleModelInput(x));
      assert.deepEqual(custom.step(prediction, x, noise), spaced.step(prediction, x, noise));
    }
  });

  it('one custom timestep at strength 1: noised to σ_666, one call lands on x̂0', () => {
    const scheduler = euler(TURBO);
    scheduler.setCustomTimesteps([666], 1);
    assert.deepEqual(scheduler.timesteps, [666]);
    assertAllClose(scheduler.addNoise(latents(0.5), latents(1)), [0.5 + SD_SIGMA[666]!]);
    const { prevSample, predOriginal } = scheduler.step(latents(0.25), latents(2), noise);
    assertAllClose(predOriginal, [2 - 0.25 * SD_SIGMA[666]!]);
    assertAllClose(prevSample, [2 - 0.25 * SD_SIGMA[666]!]);
  });

  it('refuses custom timesteps that are empty, out of range or not falling', () => {
    for (const [timesteps, reason] of [
      [[], /is empty/],
      [[1000], /from 0 to 999/],
      [[500, -1], /from 0 to 999/],
      [[Number.NaN], /from 0 to 999/],
      [[499, 499], /strictly/],
      [[249, 749], /strictly/],
    ] as const) {
      assertEngineError(
        () => euler(TURBO).setCustomTimesteps(timesteps, 1),
        'BAD_ARGUMENT',
        reason,
      );
    }
    // Strength still trims the list as diffusers trims it: nothing would run here.
    assertEngineError(
      () => euler(TURBO).setCustomTimesteps([749], 0.5),
      'BAD_ARGUMENT',
      /steps × strength/,
    );
  });

  it('leading spacing with steps_offset gives integer timesteps and their sigmas', () => {
    const scheduler = euler({ ...SD15_CONFIG, timestep_spacing: 'leading' });
    scheduler.setTimesteps(50, 1);
    assert.deepEqual(scheduler.timesteps.slice(0, 2), [981, 961]);
    assert.equal(scheduler.timesteps[49], 1);
    assertAllClose(scheduler.addNoise(latents(0), latents(1)), [SD_SIGMA[981]!]);
  });

  it('linspace spacing feeds fractional float32 timesteps and interpolates sigma', () => {
    const scheduler = euler(SD15_CONFIG);
    scheduler.setTimesteps(20, 0.95); // 19 of 20 run: starts at 18·999/19 = 946.42105…
    const t = scheduler.timesteps[0]!;
    assert.equal(scheduler.timesteps.length, 19);
    assert.equal(t, Math.fround((18 * 999) / 19));
    // np.interp between σ_946 and σ_947.
    const fraction = t - 946;
    const sigma = SD_SIGMA[946]! + (SD_SIGMA[947]! - SD_SIGMA[946]!) * fraction;
    assertAllClose(scheduler.addNoise(latents(0), latents(1)), [sigma]);
    assert.equal(scheduler.timesteps[18], 0);
  });

  it('v_prediction: x0 = v·(−σ/√(σ²+1)) + x/(σ²+1)', () => {
    const scheduler = euler({ ...TURBO, prediction_type: 'v_prediction' });
    scheduler.setTimesteps(2, 0.5);
    const sigma = SD_SIGMA[499]!;
    const { prevSample, predOriginal } = scheduler.step(latents(0.5), latents(2), noise);
    const x0 = 0.5 * (-sigma / Math.sqrt(sigma ** 2 + 1)) + 2 / (sigma ** 2 + 1);
    assertClose(x0, 0.13039, 1e-4); // by hand: −0.42495 + 0.55534
    assertAllClose(predOriginal, [x0]);
    assertAllClose(prevSample, [x0]);
  });

  it('sample prediction takes the output as x0', () => {
    const scheduler = euler({ ...TURBO, prediction_type: 'sample' });
    scheduler.setTimesteps(2, 1);
    const { prevSample, predOriginal } = scheduler.step(latents(1), latents(5), noise);
    assertAllClose(predOriginal, [1]);
    // d = (5 − 1)/σ_999, x_next = 5 + d·(σ_499 − σ_999).
    assertAllClose(prevSample, [5 + (4 / SD_SIGMA[999]!) * (SD_SIGMA[499]! - SD_SIGMA[999]!)]);
  });

  it('clamps the infinite σ of zero terminal SNR at ᾱ = 2^-24', () => {
    const scheduler = euler({ ...TURBO, rescale_betas_zero_snr: true });
    scheduler.setTimesteps(1, 1);
    assert.deepEqual(scheduler.timesteps, [999]);
    assertAllClose(scheduler.addNoise(latents(0), latents(1)), [Math.sqrt(2 ** 24 - 1)]);
  });

  it('rejects steps × strength < 1 and use before setTimesteps', () => {
    const scheduler = euler(TURBO);
    assertEngineError(() => scheduler.setTimesteps(2, 0.4), 'BAD_ARGUMENT', /at least 1/);
    assertEngineError(
      () => scheduler.addNoise(latents(0), latents(0)),
      'BAD_ARGUMENT',
      /setTimesteps\(\) must be called/,
    );
    scheduler.setTimesteps(2, 1);
    assertEngineError(
      () => scheduler.step(latents(1, 2), latents(1), noise),
      'BAD_ARGUMENT',
      /2 values but the latents have 1/,
    );
  });
});
