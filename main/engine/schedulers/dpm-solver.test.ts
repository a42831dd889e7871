import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSchedulerConfig } from './config.ts';
import { DpmSolverScheduler } from './dpm-solver.ts';
import {
  ConstantNoise,
  SD15_CONFIG,
  SD_ALPHA_PROD,
  SD_SIGMA,
  assertAllClose,
  assertEngineError,
  latents,
} from '../../testing/schedulers.ts';

const dpm = (json: Record<string, unknown> = SD15_CONFIG): DpmSolverScheduler =>
  new DpmSolverScheduler(parseSchedulerConfig(json, 'dpm'));
const karras = (json: Record<string, unknown> = SD15_CONFIG): DpmSolverScheduler =>
  new DpmSolverScheduler(parseSchedulerConfig(json, 'dpm-karras'));
const noise = new ConstantNoise(0);

/** σ = √((1−ᾱ)/ᾱ) of SD's schedule at t, from the float64 ᾱ. */
const sigmaAt = (t: number): number => Math.sqrt((1 - SD_ALPHA_PROD[t]!) / SD_ALPHA_PROD[t]!);

/**
 * Karras et al. 2022 eq. 5 (ρ = 7) over 5 steps between σ_0 and σ_999 of SD's schedule, and the
 * timesteps whose σ they are (log-σ interpolation, rounded), computed independently in float64.
 */
const KARRAS_5 = {
  sigmas: [14.614641229333643, 4.79653482712404, 1.274100208978096, 0.24794990271076306],
  timesteps: [999, 786, 427, 59, 0],
  last: 0.02916715815172038,
};

/** DPM-Solver++ in its paper's VP terms: α_t, σ_t and λ_t = log(α_t/σ_t) for a VE noise level. */
function vp(sigma: number): { alpha: number; sigmaT: number; lambda: number } {
  const alpha = 1 / Math.sqrt(sigma ** 2 + 1);
  const sigmaT = sigma * alpha;
  return { alpha, sigmaT, lambda: Math.log(alpha) - Math.log(sigmaT) };
}

/** x̂0 = (x − σ_t·ε)/α_t. */
const dataFromEps = (x: number, eps: number, sigma: number): number =>
  (x - vp(sigma).sigmaT * eps) / vp(sigma).alpha;

/**
 * DPM-Solver++(2M), Algorithm 2 of Lu et al. 2022: x_t = (σ_t/σ_s)·x − α_t(e^−h − 1)·D with
 * D = x̂0 (first order), or D = (1 + 1/(2r))·x̂0 − 1/(2r)·x̂0_prev with r = h_prev/h.
 */
function solverStep(
  x: number,
  data: number,
  sigma: number,
  sigmaNext: number,
  previous?: { data: number; sigma: number },
): number {
  const [s, t] = [vp(sigma), vp(sigmaNext)];
  const h = t.lambda - s.lambda;
  let d = data;
  if (previous) {
    const r = (s.lambda - vp(previous.sigma).lambda) / h;
    d = (1 + 1 / (2 * r)) * data - (1 / (2 * r)) * previous.data;
  }
  return (t.sigmaT / s.sigmaT) * x - t.alpha * (Math.exp(-h) - 1) * d;
}

describe('DpmSolverScheduler timesteps', () => {
  it('linspace (its default): steps + 1 points from 0 to 999, rounded half to even, 0 dropped', () => {
    const scheduler = dpm();
    scheduler.setTimesteps(10, 1);
    // 99.9·k: …, 599.4, 499.5 → 500, 399.6, …, 99.9 → 100.
    assert.deepEqual(scheduler.timesteps, [999, 899, 799, 699, 599, 500, 400, 300, 200, 100]);
  });

  it('leading spaces by N // (steps + 1) plus steps_offset; trailing as the others do', () => {
    const leading = dpm({ ...SD15_CONFIG, timestep_spacing: 'leading' });
    leading.setTimesteps(10, 1); // 1000 // 11 = 90
    assert.deepEqual(leading.timesteps, [901, 811, 721, 631, 541, 451, 361, 271, 181, 91]);
    const trailing = dpm({ ...SD15_CONFIG, timestep_spacing: 'trailing' });
    trailing.setTimesteps(10, 1);
    assert.deepEqual(trailing.timesteps, [999, 899, 799, 699, 599, 499, 399, 299, 199, 99]);
  });

  it('Karras sigmas pick the timesteps their σ sits at', () => {
    const scheduler = karras();
    scheduler.setTimesteps(10, 1);
    // Independently in float64 (see KARRAS_5): 916.28, 815.04, 687.15, 523.20, 327.15, 145.94, …
    assert.deepEqual(scheduler.timesteps, [999, 916, 815, 687, 523, 327, 146, 41, 7, 0]);
    const five = karras();
    five.setTimesteps(5, 1);
    assert.deepEqual(five.timesteps, KARRAS_5.timesteps);
    // The schedule spans σ_999 … σ_0 of the training schedule.
    assert.equal(KARRAS_5.sigmas[0], SD_SIGMA[999]);
    assert.ok(Math.abs(KARRAS_5.last - SD_SIGMA[0]!) < 1e-15);
  });

  it('rejects what no schedule allows', () => {
    const leading = { ...SD15_CONFIG, timestep_spacing: 'leading' };
    assertEngineError(() => dpm(leading).setTimesteps(999, 1), 'BAD_ARGUMENT', /reach timestep/);
    assertEngineError(() => dpm().setTimesteps(10, 0.05), 'BAD_ARGUMENT', /at least 1/);
    assertEngineError(
      () => dpm().step(latents(0), latents(0), noise),
      'BAD_ARGUMENT',
      /setTimesteps\(\) must be called/,
    );
  });
});

describe('DpmSolverScheduler steps', () => {
  it('DPM++ 2M Karras, 5 steps: first order, three 2M steps, then x̂0 at σ = 0', () => {
    const scheduler = karras();
    scheduler.setTimesteps(5, 1);
    const sigmas = [...KARRAS_5.sigmas, KARRAS_5.last, 0];
    // add_noise at σ_max: α·x0 + σ_t·ε.
    const { alpha, sigmaT } = vp(sigmas[0]!);
    assertAllClose(scheduler.addNoise(latents(1, 0), latents(0, 1)), [alpha, sigmaT]);

    const eps = [0.9, 0.6, -0.2, 0.3, 0.1];
    const x = [10, 4, 1.5, 0.7, 0.4];
    let previous: { data: number; sigma: number } | undefined;
    eps.forEach((e, i) => {
      const data = dataFromEps(x[i]!, e, sigmas[i]!);
      // The last step goes to σ = 0 and returns x̂0, whatever the history.
      const expected =
        i === eps.length - 1 ? data : solverStep(x[i]!, data, sigmas[i]!, sigmas[i + 1]!, previous);
      const result = scheduler.step(latents(e, -e), latents(x[i]!, -x[i]!), noise);
      assertAllClose(result.predOriginal, [data, -data]);
      assertAllClose(result.prevSample, [expected, -expected]);
      previous = { data, sigma: sigmas[i]! };
    });
    assertEngineError(
      () => scheduler.step(latents(0, 0), latents(0, 0), noise),
      'BAD_ARGUMENT',
      /already complete/,
    );
  });

  it('img2img starts mid-schedule with a first-order step and noise at its σ', () => {
    const scheduler = dpm();
    scheduler.setTimesteps(10, 0.5); // t_start 5
    assert.deepEqual(scheduler.timesteps, [500, 400, 300, 200, 100]);
    const noised = scheduler.addNoise(latents(1, 0), latents(0, 1));
    assertAllClose(noised, [Math.sqrt(SD_ALPHA_PROD[500]!), Math.sqrt(1 - SD_ALPHA_PROD[500]!)]);

    const [s500, s400, s300] = [sigmaAt(500), sigmaAt(400), sigmaAt(300)];
    const first = dataFromEps(2, 0.5, s500);
    assertAllClose(scheduler.step(latents(0.5), latents(2), noise).prevSample, [
      solverStep(2, first, s500, s400),
    ]);
    const second = dataFromEps(1.2, 0.4, s400);
    assertAllClose(scheduler.step(latents(0.4), latents(1.2), noise).prevSample, [
      solverStep(1.2, second, s400, s300, { data: first, sigma: s500 }),
    ]);
  });

  it('v_prediction: x̂0 = α·x − σ_t·v; sample prediction: the output itself', () => {
    const v = dpm({ ...SD15_CONFIG, prediction_type: 'v_prediction' });
    v.setTimesteps(10, 0.5);
    const { alpha, sigmaT } = vp(sigmaAt(500));
    const data = alpha * 2 - sigmaT * 0.5;
    const result = v.step(latents(0.5), latents(2), noise);
    assertAllClose(result.predOriginal, [data]);
    assertAllClose(result.prevSample, [solverStep(2, data, sigmaAt(500), sigmaAt(400))]);

    const sample = dpm({ ...SD15_CONFIG, prediction_type: 'sample' });
    sample.setTimesteps(10, 1);
    assertAllClose(sample.step(latents(0.5), latents(2), noise).predOriginal, [0.5]);
  });

  it('feeds the UNet the latents unscaled and names Karras runs dpm-karras', () => {
    const scheduler = dpm();
    const x = latents(1, 2);
    assert.equal(scheduler.scaleModelInput(x), x);
    assert.equal(scheduler.name, 'dpm');
    assert.equal(karras().name, 'dpm-karras');
    assert.equal(dpm({ ...SD15_CONFIG, use_karras_sigmas: true }).name, 'dpm-karras');
  });
});
