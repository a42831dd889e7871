import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createScheduler } from './index.ts';
import { CUSTOM_TIMESTEP_SCHEDULERS, SCHEDULER_NAMES } from './scheduler.ts';
import { SD15_CONFIG, assertEngineError } from '../../testing/schedulers.ts';

describe('createScheduler', () => {
  it("picks the default for the config's class when no name is given", () => {
    assert.equal(createScheduler(undefined, SD15_CONFIG).name, 'pndm');
    assert.equal(
      createScheduler(undefined, { _class_name: 'DPMSolverMultistepScheduler' }).name,
      'dpm',
    );
    assert.equal(
      createScheduler(undefined, {
        _class_name: 'DPMSolverMultistepScheduler',
        use_karras_sigmas: true,
      }).name,
      'dpm-karras',
    );
    assert.equal(createScheduler(undefined, { _class_name: 'LCMScheduler' }).name, 'lcm');
    assert.equal(
      createScheduler(undefined, { _class_name: 'EulerAncestralDiscreteScheduler' }).name,
      'euler-a',
    );
  });

  it('custom timesteps are offered by exactly the schedulers that list says run them', () => {
    for (const name of SCHEDULER_NAMES) {
      const scheduler = createScheduler(name, SD15_CONFIG);
      assert.equal(
        typeof scheduler.setCustomTimesteps === 'function',
        CUSTOM_TIMESTEP_SCHEDULERS.includes(name),
        name,
      );
    }
  });

  it('honours an explicit name over the class, with the config still applied', () => {
    const euler = createScheduler('euler', SD15_CONFIG);
    assert.equal(euler.name, 'euler');
    euler.setTimesteps(2, 1);
    // SD 1.5's config predates timestep_spacing, so Euler's own default (linspace) applies, as in
    // diffusers' EulerDiscreteScheduler.from_config; steps_offset only shifts leading spacing.
    assert.deepEqual(euler.timesteps, [999, 0]);
    const leading = createScheduler('euler', { ...SD15_CONFIG, timestep_spacing: 'leading' });
    leading.setTimesteps(2, 1);
    assert.deepEqual(leading.timesteps, [501, 1]);
    // `dpm-karras` on SD 1.5's PNDM config: DPM-Solver++ on Karras sigmas (Karras et al. eq. 5).
    const dpmKarras = createScheduler('dpm-karras', SD15_CONFIG);
    assert.equal(dpmKarras.name, 'dpm-karras');
    dpmKarras.setTimesteps(5, 1);
    assert.deepEqual(dpmKarras.timesteps, [999, 786, 427, 59, 0]);
  });

  it('refuses an unknown class without an explicit name, and bad configs either way', () => {
    assertEngineError(
      () => createScheduler(undefined, { _class_name: 'FlowMatchEulerDiscreteScheduler' }),
      'CONFIG_INVALID',
      /FlowMatchEulerDiscreteScheduler/,
    );
    assert.equal(
      createScheduler('ddim', { _class_name: 'FlowMatchEulerDiscreteScheduler' }).name,
      'ddim',
    );
    assertEngineError(
      () => createScheduler('lcm', { prediction_type: 'x0' }),
      'CONFIG_INVALID',
      /accepted/,
    );
  });
});
