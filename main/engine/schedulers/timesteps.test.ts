import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSchedulerConfig } from './config.ts';
import { assertEngineError } from '../../testing/schedulers.ts';
import {
  checkInferenceArgs,
  img2imgStartIndex,
  roundHalfEven,
  spacedTimesteps,
} from './timesteps.ts';

const spacing = (json: Record<string, unknown>, steps: number): number[] =>
  spacedTimesteps(parseSchedulerConfig(json, 'ddim'), steps);

describe('img2imgStartIndex', () => {
  it('runs the last floor(steps × strength) timesteps', () => {
    assert.equal(img2imgStartIndex(50, 1), 0);
    assert.equal(img2imgStartIndex(2, 0.5), 1);
    assert.equal(img2imgStartIndex(50, 0.75), 13); // 37 steps run
    assert.equal(img2imgStartIndex(10, 0.7), 3); // 10 × 0.7 = 7.000000000000001 → 7
  });

  it('truncates the float product exactly as Python int() does', () => {
    // 100 × 0.29 = 28.999999999999996 in IEEE double: diffusers runs 28 steps, so do we.
    assert.equal(img2imgStartIndex(100, 0.29), 72);
  });

  it('rejects steps × strength < 1', () => {
    assertEngineError(() => img2imgStartIndex(4, 0.2), 'BAD_ARGUMENT', /at least 1.*4 × 0.2/);
    assertEngineError(() => img2imgStartIndex(10, 0), 'BAD_ARGUMENT', /at least 1/);
  });
});

describe('checkInferenceArgs', () => {
  it('rejects step counts and strengths outside their range', () => {
    for (const steps of [0, 2.5, 1001, Number.NaN]) {
      assertEngineError(() => checkInferenceArgs(steps, 1, 1000), 'BAD_ARGUMENT', /steps must be/);
    }
    for (const strength of [-0.1, 1.01, Number.NaN]) {
      assertEngineError(() => checkInferenceArgs(10, strength, 1000), 'BAD_ARGUMENT', /strength/);
    }
    assert.doesNotThrow(() => checkInferenceArgs(1000, 1, 1000));
  });
});

describe('spacedTimesteps', () => {
  it('leading: (steps−1−i)·(N // steps) + steps_offset', () => {
    const sd = spacing({ steps_offset: 1 }, 50);
    assert.equal(sd.length, 50);
    assert.deepEqual(sd.slice(0, 3), [981, 961, 941]);
    assert.deepEqual(sd.slice(-2), [21, 1]);
    // 1000 // 3 = 333: [666, 333, 0].
    assert.deepEqual(spacing({}, 3), [666, 333, 0]);
  });

  it('trailing: round(N − i·N/steps) − 1, ignoring steps_offset', () => {
    assert.deepEqual(spacing({ timestep_spacing: 'trailing', steps_offset: 1 }, 2), [999, 499]);
    assert.deepEqual(spacing({ timestep_spacing: 'trailing' }, 4), [999, 749, 499, 249]);
    // 1000/3 = 333.33…: 1000, 666.67, 333.33 → 1000, 667, 333 → −1.
    assert.deepEqual(spacing({ timestep_spacing: 'trailing' }, 3), [999, 666, 332]);
  });

  it('trailing rounds halves to even, as numpy does', () => {
    // 1000/16 = 62.5: 937.5 → 938, 812.5 → 812 (half-up would give 813), 687.5 → 688; then − 1.
    const t = spacing({ timestep_spacing: 'trailing' }, 16);
    assert.deepEqual(t.slice(0, 6), [999, 937, 874, 811, 749, 687]);
  });

  it('trailing yields exactly `steps` timesteps where numpy arange would add one', () => {
    // numpy's arange(1000, 0, −1000/61) has 62 entries (1000/(1000/61) > 61 in double).
    const t = spacing({ timestep_spacing: 'trailing' }, 61);
    assert.equal(t.length, 61);
    assert.equal(t[0], 999);
    assert.equal(t[60], 15); // round(1000 − 60·16.393…) − 1 = round(16.39) − 1
  });

  it('linspace: linspace(0, N−1, steps) reversed, possibly fractional', () => {
    assert.deepEqual(
      spacing({ timestep_spacing: 'linspace', steps_offset: 1 }, 4),
      [999, 666, 333, 0],
    );
    assert.deepEqual(spacing({ timestep_spacing: 'linspace' }, 3), [999, 499.5, 0]);
    const twenty = spacing({ timestep_spacing: 'linspace' }, 20);
    assert.equal(twenty[0], 999);
    assert.ok(Math.abs(twenty[1]! - 946.421052631579) < 1e-9); // 18 · 999/19
    assert.equal(twenty[19], 0);
    assert.deepEqual(spacing({ timestep_spacing: 'linspace' }, 1), [0]);
  });
});

describe('roundHalfEven', () => {
  it('sends halves to the even neighbour and everything else to the nearest', () => {
    assert.deepEqual(
      [0.5, 1.5, 2.5, 499.5, 166.5, -2.5, 2.4999, 2.5001].map(roundHalfEven),
      [0, 2, 2, 500, 166, -2, 2, 3],
    );
  });
});
