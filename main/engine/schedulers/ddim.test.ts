import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSchedulerConfig } from './config.ts';
import { DdimScheduler } from './ddim.ts';
import {
  ConstantNoise,
  SD15_CONFIG,
  SD_ALPHA_PROD,
  assertAllClose,
  assertEngineError,
  latents,
} from '../../testing/schedulers.ts';

const ddim = (json: Record<string, unknown> = SD15_CONFIG): DdimScheduler =>
  new DdimScheduler(parseSchedulerConfig(json, 'ddim'));
const noise = new ConstantNoise(0);

/** x0 and ε of an ε-prediction at ᾱ, and DDIM's eq. 12 update to ᾱ_prev. */
function expectedStep(
  x: number,
  eps: number,
  alphaProd: number,
  alphaProdPrev: number,
): [x0: number, prev: number] {
  const x0 = (x - Math.sqrt(1 - alphaProd) * eps) / Math.sqrt(alphaProd);
  return [x0, Math.sqrt(alphaProdPrev) * x0 + Math.sqrt(1 - alphaProdPrev) * eps];
}

describe('DdimScheduler', () => {
  it('SD 1.5, 50 steps: leading spacing shifted by steps_offset 1', () => {
    const scheduler = ddim();
    scheduler.setTimesteps(50, 1);
    assert.equal(scheduler.timesteps.length, 50);
    assert.deepEqual(scheduler.timesteps.slice(0, 3), [981, 961, 941]);
    assert.deepEqual(scheduler.timesteps.slice(-2), [21, 1]);
  });

  it('img2img at strength 0.6 runs the last 30 timesteps and noises to the first', () => {
    const scheduler = ddim();
    scheduler.setTimesteps(50, 0.6);
    assert.equal(scheduler.timesteps.length, 30);
    assert.equal(scheduler.timesteps[0], 581);
    // √ᾱ·x0 + √(1−ᾱ)·ε at t = 581.
    const alphaProd = SD_ALPHA_PROD[581]!;
    const noised = scheduler.addNoise(latents(1, 0), latents(0, 1));
    assertAllClose(noised, [Math.sqrt(alphaProd), Math.sqrt(1 - alphaProd)]);
  });

  it('rounds linspace timesteps half to even and follows trailing spacing', () => {
    const linspace = ddim({ ...SD15_CONFIG, timestep_spacing: 'linspace' });
    linspace.setTimesteps(7, 1);
    // 999/6 = 166.5: [999, 832.5, 666, 499.5, 333, 166.5, 0] → halves to even.
    assert.deepEqual(linspace.timesteps, [999, 832, 666, 500, 333, 166, 0]);
    const trailing = ddim({ ...SD15_CONFIG, timestep_spacing: 'trailing' });
    trailing.setTimesteps(10, 1);
    assert.deepEqual(trailing.timesteps, [999, 899, 799, 699, 599, 499, 399, 299, 199, 99]);
  });

  it('steps ε-prediction by eq. 12 from t to t − N//steps', () => {
    const scheduler = ddim();
    scheduler.setTimesteps(50, 1);
    const { prevSample, predOriginal } = scheduler.step(latents(0.5), latents(1), noise);
    const [x0, prev] = expectedStep(1, 0.5, SD_ALPHA_PROD[981]!, SD_ALPHA_PROD[961]!);
    assertAllClose(predOriginal, [x0]);
    assertAllClose(prevSample, [prev]);
  });

  it('ends on ᾱ_0 without set_alpha_to_one and on x0 with it', () => {
    const last = (setAlphaToOne: boolean): Float32Array => {
      const scheduler = ddim({ ...SD15_CONFIG, set_alpha_to_one: setAlphaToOne });
      scheduler.setTimesteps(50, 0.02); // only t = 1 runs; 1 − 20 < 0
      assert.deepEqual(scheduler.timesteps, [1]);
      return scheduler.step(latents(0.5), latents(1), noise).prevSample;
    };
    const [x0, prevAtAlpha0] = expectedStep(1, 0.5, SD_ALPHA_PROD[1]!, SD_ALPHA_PROD[0]!);
    assertAllClose(last(false), [prevAtAlpha0]);
    assertAllClose(last(true), [x0]);
  });

  it('v_prediction: x0 = √ᾱ·x − √(1−ᾱ)·v, ε = √ᾱ·v + √(1−ᾱ)·x', () => {
    const scheduler = ddim({ ...SD15_CONFIG, prediction_type: 'v_prediction' });
    scheduler.setTimesteps(50, 1);
    const { prevSample, predOriginal } = scheduler.step(latents(0.5), latents(1), noise);
    const a = SD_ALPHA_PROD[981]!;
    const ap = SD_ALPHA_PROD[961]!;
    const x0 = Math.sqrt(a) * 1 - Math.sqrt(1 - a) * 0.5;
    const eps = Math.sqrt(a) * 0.5 + Math.sqrt(1 - a) * 1;
    assertAllClose(predOriginal, [x0]);
    assertAllClose(prevSample, [Math.sqrt(ap) * x0 + Math.sqrt(1 - ap) * eps]);
  });

  it('sample prediction: x0 is the output, ε = (x − √ᾱ·x0)/√(1−ᾱ)', () => {
    const scheduler = ddim({ ...SD15_CONFIG, prediction_type: 'sample' });
    scheduler.setTimesteps(50, 1);
    const { prevSample, predOriginal } = scheduler.step(latents(0.5), latents(1), noise);
    const a = SD_ALPHA_PROD[981]!;
    const ap = SD_ALPHA_PROD[961]!;
    const eps = (1 - Math.sqrt(a) * 0.5) / Math.sqrt(1 - a);
    assertAllClose(predOriginal, [0.5]);
    assertAllClose(prevSample, [Math.sqrt(ap) * 0.5 + Math.sqrt(1 - ap) * eps]);
  });

  it('clips x0 when the config asks (DDIM default), keeping ε from the unclipped output', () => {
    const scheduler = ddim({ ...SD15_CONFIG, clip_sample: undefined, clip_sample_range: 1.5 });
    scheduler.setTimesteps(50, 1);
    const { prevSample, predOriginal } = scheduler.step(
      latents(0.01, -0.01),
      latents(1, -1),
      noise,
    );
    // Unclipped x0 = (±1 ∓ 0.01·√(1−ᾱ))/√ᾱ ≈ ±13.03.
    assertAllClose(predOriginal, [1.5, -1.5]);
    const ap = SD_ALPHA_PROD[961]!;
    assertAllClose(prevSample, [
      Math.sqrt(ap) * 1.5 + Math.sqrt(1 - ap) * 0.01,
      -Math.sqrt(ap) * 1.5 - Math.sqrt(1 - ap) * 0.01,
    ]);
  });

  it('feeds the UNet the latents unscaled', () => {
    const scheduler = ddim();
    scheduler.setTimesteps(10, 1);
    const x = latents(1, 2);
    assert.equal(scheduler.scaleModelInput(x), x);
  });

  it('rejects schedules that steps_offset pushes past the last timestep', () => {
    assertEngineError(() => ddim().setTimesteps(1000, 1), 'BAD_ARGUMENT', /reach timestep 1000/);
    assertEngineError(() => ddim().setTimesteps(50, 0.01), 'BAD_ARGUMENT', /at least 1/);
  });
});
