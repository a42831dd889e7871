import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SeededNoise } from '../random.ts';
import { parseSchedulerConfig } from './config.ts';
import { EulerAncestralScheduler } from './euler-ancestral.ts';
import {
  ConstantNoise,
  SD15_CONFIG,
  SD_SIGMA,
  assertAllClose,
  assertEngineError,
  latents,
} from '../../testing/schedulers.ts';

const TRAILING = { ...SD15_CONFIG, timestep_spacing: 'trailing' };
const ancestral = (json: Record<string, unknown> = TRAILING): EulerAncestralScheduler =>
  new EulerAncestralScheduler(parseSchedulerConfig(json, 'euler-a'));

describe('EulerAncestralScheduler', () => {
  it('steps down to σ_down and adds σ_up of fresh noise', () => {
    const scheduler = ancestral();
    scheduler.setTimesteps(2, 1);
    assert.deepEqual(scheduler.timesteps, [999, 499]);
    const sigma = SD_SIGMA[999]!;
    const next = SD_SIGMA[499]!;
    const up = Math.sqrt((next ** 2 * (sigma ** 2 - next ** 2)) / sigma ** 2);
    const down = Math.sqrt(next ** 2 - up ** 2);
    // Simplified by hand: σ_down = σ_next²/σ ≈ 0.1780, σ_up = σ_next·√(1 − σ_next²/σ²) ≈ 1.6030.
    assert.ok(Math.abs(up - 1.603) < 1e-3 && Math.abs(down - 0.178) < 1e-3);

    const noise = new ConstantNoise(2);
    const { prevSample, predOriginal } = scheduler.step(latents(0.5), latents(10), noise);
    assertAllClose(predOriginal, [10 - sigma * 0.5]);
    // x + ε̂·(σ_down − σ) + 2·σ_up.
    assertAllClose(prevSample, [10 + 0.5 * (down - sigma) + 2 * up]);
    assert.equal(noise.draws, 1);
  });

  it('lands on x0 at the last step, still drawing its noise as diffusers does', () => {
    const scheduler = ancestral();
    scheduler.setTimesteps(2, 0.5);
    const noise = new ConstantNoise(100);
    const { prevSample, predOriginal } = scheduler.step(latents(0.5), latents(3), noise);
    assertAllClose(prevSample, predOriginal);
    assertAllClose(prevSample, [3 - 0.5 * SD_SIGMA[499]!]);
    assert.equal(noise.draws, 1);
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const run = (seed: number): Float32Array => {
      const scheduler = ancestral();
      scheduler.setTimesteps(4, 1);
      const source = new SeededNoise(seed);
      let x = scheduler.addNoise(new Float32Array(64).fill(0.1), source.normal(64));
      for (let i = 0; i < 4; i++) {
        const output = scheduler.scaleModelInput(x).map((v) => v * 0.5);
        x = scheduler.step(output, x, source).prevSample;
      }
      return x;
    };
    assert.deepEqual(run(7), run(7));
    assert.notDeepEqual(run(7), run(8));
  });

  it('supports v_prediction but not sample prediction', () => {
    const scheduler = ancestral({ ...TRAILING, prediction_type: 'v_prediction' });
    scheduler.setTimesteps(2, 0.5);
    const sigma = SD_SIGMA[499]!;
    const { predOriginal } = scheduler.step(latents(0.5), latents(2), new ConstantNoise(0));
    assertAllClose(predOriginal, [
      0.5 * (-sigma / Math.sqrt(sigma ** 2 + 1)) + 2 / (sigma ** 2 + 1),
    ]);
    assertEngineError(
      () => ancestral({ ...TRAILING, prediction_type: 'sample' }),
      'CONFIG_INVALID',
      /accepted: epsilon, v_prediction/,
    );
  });
});
