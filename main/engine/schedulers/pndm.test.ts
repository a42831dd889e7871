import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSchedulerConfig } from './config.ts';
import { PndmScheduler } from './pndm.ts';
import {
  ConstantNoise,
  SD15_CONFIG,
  SD_ALPHA_PROD,
  assertAllClose,
  assertEngineError,
  latents,
} from '../../testing/schedulers.ts';

const pndm = (json: Record<string, unknown> = SD15_CONFIG): PndmScheduler =>
  new PndmScheduler(parseSchedulerConfig(json, 'pndm'));
const noise = new ConstantNoise(0);
const A = (t: number): number => SD_ALPHA_PROD[t]!;

/**
 * x_{t−δ} for x_t and ε, written as DDIM's eq. 12 (√ᾱ_{t−δ}·x̂0 + √(1−ᾱ_{t−δ})·ε), which formula
 * (9) of the PNDM paper rearranges: an independent check of the scheduler's algebra.
 */
function transfer(x: number, eps: number, alphaProd: number, alphaProdPrev: number): number {
  const x0 = (x - Math.sqrt(1 - alphaProd) * eps) / Math.sqrt(alphaProd);
  return Math.sqrt(alphaProdPrev) * x0 + Math.sqrt(1 - alphaProdPrev) * eps;
}

describe('PndmScheduler', () => {
  it('SD 1.5, 50 steps: leading + steps_offset, the second timestep twice (51 UNet calls)', () => {
    const scheduler = pndm();
    scheduler.setTimesteps(50, 1);
    assert.equal(scheduler.timesteps.length, 51);
    assert.deepEqual(scheduler.timesteps.slice(0, 4), [981, 961, 961, 941]);
    assert.deepEqual(scheduler.timesteps.slice(-2), [21, 1]);
  });

  it('runs the PLMS warm-up, then Adams–Bashforth on the last four outputs', () => {
    const scheduler = pndm();
    scheduler.setTimesteps(5, 1); // N // 5 = 200
    assert.deepEqual(scheduler.timesteps, [801, 601, 601, 401, 201, 1]);
    const eps = [0.5, -0.3, 0.2, 0.1, -0.4, 0.25];
    const x = [1, 7, 0.8, 0.6, 0.4, 0.2];
    const expected = [
      // 1. Plain formula (9) step from 801 to 601.
      transfer(1, 0.5, A(801), A(601)),
      // 2. The repeated 601: the same step again from the first sample (x = 7 is ignored) with
      //    the mean of both outputs.
      transfer(1, (-0.3 + 0.5) / 2, A(801), A(601)),
      // 3. Two outputs kept (the repeated step's is not): (3e_2 − e_0)/2.
      transfer(0.8, (3 * 0.2 - 0.5) / 2, A(601), A(401)),
      // 4. Three: (23e_3 − 16e_2 + 5e_0)/12.
      transfer(0.6, (23 * 0.1 - 16 * 0.2 + 5 * 0.5) / 12, A(401), A(201)),
      // 5. Four: (55e_4 − 59e_3 + 37e_2 − 9e_0)/24 (PNDM paper, formula (12)).
      transfer(0.4, (55 * -0.4 - 59 * 0.1 + 37 * 0.2 - 9 * 0.5) / 24, A(201), A(1)),
      // 6. Still four, e_0 dropped; 1 − 200 < 0 ends on ᾱ_0 (set_alpha_to_one false).
      transfer(0.2, (55 * 0.25 - 59 * -0.4 + 37 * 0.1 - 9 * 0.2) / 24, A(1), A(0)),
    ];
    eps.forEach((e, k) => {
      const { prevSample } = scheduler.step(latents(e, -e), latents(x[k]!, -x[k]!), noise);
      assertAllClose(prevSample, [expected[k]!, -expected[k]!]);
    });
    assertEngineError(
      () => scheduler.step(latents(0, 0), latents(0, 0), noise),
      'BAD_ARGUMENT',
      /already complete/,
    );
  });

  it('reports the x̂0 its ε implies', () => {
    const scheduler = pndm();
    scheduler.setTimesteps(5, 1);
    const { predOriginal } = scheduler.step(latents(0.5), latents(1), noise);
    assertAllClose(predOriginal, [(1 - Math.sqrt(1 - A(801)) * 0.5) / Math.sqrt(A(801))]);
  });

  it('img2img cuts the list at t_start and noises to its first timestep, as diffusers does', () => {
    const scheduler = pndm();
    scheduler.setTimesteps(10, 0.5); // t_start 5 of [901, 801, 801, 701, …, 1]
    assert.deepEqual(scheduler.timesteps, [501, 401, 301, 201, 101, 1]);
    const noised = scheduler.addNoise(latents(1, 0), latents(0, 1));
    assertAllClose(noised, [Math.sqrt(A(501)), Math.sqrt(1 - A(501))]);
    // The counter, not the timestep, makes the second call the restart: 401 + 100 = 501.
    assertAllClose(scheduler.step(latents(0.5), latents(1), noise).prevSample, [
      transfer(1, 0.5, A(501), A(401)),
    ]);
    assertAllClose(scheduler.step(latents(0.1), latents(9), noise).prevSample, [
      transfer(1, 0.3, A(501), A(401)),
    ]);
    assertAllClose(scheduler.step(latents(0.2), latents(0.8), noise).prevSample, [
      transfer(0.8, (3 * 0.2 - 0.5) / 2, A(301), A(201)),
    ]);
  });

  it('with t_start 1 the restart steps from one timestep above the start, as diffusers does', () => {
    const scheduler = pndm();
    scheduler.setTimesteps(10, 0.9); // [801, 801, 701, …]: the repeat falls on the second call
    assert.deepEqual(scheduler.timesteps.slice(0, 3), [801, 801, 701]);
    assert.equal(scheduler.timesteps.length, 10);
    assertAllClose(scheduler.step(latents(0.5), latents(1), noise).prevSample, [
      transfer(1, 0.5, A(801), A(701)),
    ]);
    // diffusers' counter 1 steps from 801 + 100 = 901 down to 801, from the first sample.
    assertAllClose(scheduler.step(latents(0.1), latents(9), noise).prevSample, [
      transfer(1, 0.3, A(901), A(801)),
    ]);
    assertAllClose(scheduler.step(latents(0.2), latents(0.8), noise).prevSample, [
      transfer(0.8, (3 * 0.2 - 0.5) / 2, A(701), A(601)),
    ]);
  });

  it('v_prediction: ε = √ᾱ·v + √(1−ᾱ)·x on the combined output, at the sample stepped from', () => {
    const scheduler = pndm({ ...SD15_CONFIG, prediction_type: 'v_prediction' });
    scheduler.setTimesteps(5, 1);
    const eps = (v: number, x: number): number => Math.sqrt(A(801)) * v + Math.sqrt(1 - A(801)) * x;
    assertAllClose(scheduler.step(latents(0.5), latents(1), noise).prevSample, [
      transfer(1, eps(0.5, 1), A(801), A(601)),
    ]);
    assertAllClose(scheduler.step(latents(-0.3), latents(7), noise).prevSample, [
      transfer(1, eps(0.1, 1), A(801), A(601)),
    ]);
  });

  it('one step runs once and ends on ᾱ_0, or on x̂0 with set_alpha_to_one', () => {
    const last = (setAlphaToOne: boolean): Float32Array => {
      const scheduler = pndm({ ...SD15_CONFIG, set_alpha_to_one: setAlphaToOne });
      scheduler.setTimesteps(1, 1);
      assert.deepEqual(scheduler.timesteps, [1]);
      return scheduler.step(latents(0.5), latents(1), noise).prevSample;
    };
    assertAllClose(last(false), [transfer(1, 0.5, A(1), A(0))]);
    assertAllClose(last(true), [(1 - Math.sqrt(1 - A(1)) * 0.5) / Math.sqrt(A(1))]);
  });

  it('feeds the UNet the latents unscaled and rejects what no schedule allows', () => {
    const scheduler = pndm();
    scheduler.setTimesteps(10, 1);
    const x = latents(1, 2);
    assert.equal(scheduler.scaleModelInput(x), x);
    assertEngineError(() => pndm().setTimesteps(1000, 1), 'BAD_ARGUMENT', /reach timestep 1000/);
    assertEngineError(() => pndm().setTimesteps(10, 0.05), 'BAD_ARGUMENT', /at least 1/);
    assertEngineError(
      () => pndm().addNoise(latents(0), latents(0)),
      'BAD_ARGUMENT',
      /setTimesteps\(\) must be called/,
    );
  });
});
