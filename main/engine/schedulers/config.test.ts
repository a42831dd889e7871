import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  SCHEDULER_CONFIG_FILE,
  parseSchedulerConfig,
  schedulerForClassName,
  schedulerForConfig,
} from './config.ts';
import { SD15_CONFIG, assertEngineError } from './testing.ts';

describe('parseSchedulerConfig', () => {
  it('fills an empty config with the defaults of the diffusers class that runs it', () => {
    const euler = parseSchedulerConfig({}, 'euler');
    assert.equal(euler.numTrainTimesteps, 1000);
    assert.equal(euler.betaStart, 0.0001);
    assert.equal(euler.betaEnd, 0.02);
    assert.equal(euler.betaSchedule, 'linear');
    assert.equal(euler.predictionType, 'epsilon');
    assert.equal(euler.timestepSpacing, 'linspace');
    assert.equal(euler.stepsOffset, 0);
    assert.equal(euler.trainedBetas, undefined);
    assert.equal(euler.rescaleBetasZeroSnr, false);

    const ddim = parseSchedulerConfig({}, 'ddim');
    assert.equal(ddim.timestepSpacing, 'leading');
    assert.equal(ddim.clipSample, true);
    assert.equal(ddim.clipSampleRange, 1);
    assert.equal(ddim.setAlphaToOne, true);
    assert.equal(ddim.betaSchedule, 'linear');

    const lcm = parseSchedulerConfig({}, 'lcm');
    assert.equal(lcm.betaSchedule, 'scaled_linear');
    assert.equal(lcm.betaStart, 0.00085);
    assert.equal(lcm.betaEnd, 0.012);
    assert.equal(lcm.originalInferenceSteps, 50);
    assert.equal(lcm.timestepScaling, 10);
    assert.equal(lcm.clipSample, false);
  });

  it('reads the SD 1.5 config, null meaning unset', () => {
    const config = parseSchedulerConfig(SD15_CONFIG, 'ddim');
    assert.equal(config.className, 'PNDMScheduler');
    assert.equal(config.betaSchedule, 'scaled_linear');
    assert.equal(config.betaStart, 0.00085);
    assert.equal(config.stepsOffset, 1);
    assert.equal(config.setAlphaToOne, false);
    assert.equal(config.clipSample, false);
    assert.equal(config.trainedBetas, undefined);
    assert.ok(Object.isFrozen(config));
  });

  it('rejects unknown enum values, listing the accepted ones', () => {
    assertEngineError(
      () => parseSchedulerConfig({ prediction_type: 'flow' }, 'euler'),
      'CONFIG_INVALID',
      /prediction_type "flow".*accepted: epsilon, v_prediction, sample/,
    );
    assertEngineError(
      () => parseSchedulerConfig({ timestep_spacing: 'uniform' }, 'ddim'),
      'CONFIG_INVALID',
      /timestep_spacing "uniform".*accepted: leading, trailing, linspace/,
    );
    assertEngineError(
      () => parseSchedulerConfig({ beta_schedule: 'cosine' }, 'lcm'),
      'CONFIG_INVALID',
      /beta_schedule "cosine".*accepted: linear, scaled_linear, squaredcos_cap_v2/,
    );
  });

  it('names the config file in its errors', () => {
    try {
      parseSchedulerConfig({ beta_schedule: 'cosine' }, 'ddim');
      assert.fail('expected a throw');
    } catch (error) {
      assert.equal((error as { file?: string }).file, SCHEDULER_CONFIG_FILE);
    }
  });

  it('refuses sample prediction for Euler ancestral, as diffusers does', () => {
    assertEngineError(
      () => parseSchedulerConfig({ prediction_type: 'sample' }, 'euler-a'),
      'CONFIG_INVALID',
      /accepted: epsilon, v_prediction$/,
    );
    assert.equal(
      parseSchedulerConfig({ prediction_type: 'sample' }, 'euler').predictionType,
      'sample',
    );
  });

  it('refuses options we do not implement, only for the class that has them', () => {
    assertEngineError(
      () => parseSchedulerConfig({ use_karras_sigmas: true }, 'euler'),
      'CONFIG_INVALID',
      /use_karras_sigmas true is not supported by euler; accepted: false/,
    );
    assertEngineError(
      () => parseSchedulerConfig({ interpolation_type: 'log_linear' }, 'euler'),
      'CONFIG_INVALID',
      /accepted: linear/,
    );
    assertEngineError(
      () => parseSchedulerConfig({ thresholding: true }, 'lcm'),
      'CONFIG_INVALID',
      /thresholding/,
    );
    // DDIM has no Karras sigmas: diffusers' DDIMScheduler.from_config ignores the key.
    assert.doesNotThrow(() => parseSchedulerConfig({ use_karras_sigmas: true }, 'ddim'));
    assert.doesNotThrow(() => parseSchedulerConfig({ use_karras_sigmas: false }, 'euler'));
  });

  it('rejects values of the wrong type or range', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ beta_start: '0.00085' }, /beta_start must be a number/],
      [{ beta_end: 1.5 }, /beta_end must be in \[0, 1\)/],
      [{ num_train_timesteps: 999.5 }, /num_train_timesteps must be an integer/],
      [{ steps_offset: -1 }, /steps_offset must be an integer >= 0/],
      [{ set_alpha_to_one: 'false' }, /set_alpha_to_one must be true or false/],
      [{ trained_betas: [0.1, 0.2] }, /trained_betas must be 1000 numbers/],
      [{ original_inference_steps: 2000 }, /original_inference_steps 2000 exceeds/],
      [{ original_inference_steps: 0 }, /original_inference_steps must be an integer >= 1/],
      [{ _class_name: 7 }, /_class_name must be a string/],
    ];
    for (const [json, pattern] of cases) {
      assertEngineError(() => parseSchedulerConfig(json, 'lcm'), 'CONFIG_INVALID', pattern);
    }
    assertEngineError(() => parseSchedulerConfig([], 'ddim'), 'CONFIG_INVALID', /JSON object/);
    assertEngineError(() => parseSchedulerConfig(null, 'ddim'), 'CONFIG_INVALID', /JSON object/);
  });

  it('accepts trained betas of the right length', () => {
    const config = parseSchedulerConfig(
      { num_train_timesteps: 3, trained_betas: [0.1, 0.2, 0.3] },
      'ddim',
    );
    assert.deepEqual(config.trainedBetas, [0.1, 0.2, 0.3]);
  });
});

describe('schedulerForClassName', () => {
  it('runs our own classes as themselves', () => {
    assert.deepEqual(schedulerForClassName('EulerDiscreteScheduler'), {
      name: 'euler',
      note: undefined,
    });
    assert.equal(schedulerForClassName('EulerAncestralDiscreteScheduler').name, 'euler-a');
    assert.equal(schedulerForClassName('DDIMScheduler').name, 'ddim');
    assert.equal(schedulerForClassName('LCMScheduler').name, 'lcm');
  });

  it('runs PNDM and the other SD-compatible classes as DDIM, with a note', () => {
    const pndm = schedulerForClassName('PNDMScheduler');
    assert.equal(pndm.name, 'ddim');
    assert.match(pndm.note ?? '', /PNDMScheduler.*DDIM/);
    assert.equal(schedulerForClassName('DPMSolverMultistepScheduler').name, 'ddim');
    assert.equal(schedulerForConfig(SD15_CONFIG).name, 'ddim');
  });

  it('refuses classes of other model families and configs without a class', () => {
    assertEngineError(
      () => schedulerForClassName('FlowMatchEulerDiscreteScheduler'),
      'CONFIG_INVALID',
      /"FlowMatchEulerDiscreteScheduler" is not a Stable Diffusion scheduler.*EulerDiscreteScheduler/,
    );
    assertEngineError(() => schedulerForConfig({}), 'CONFIG_INVALID', /_class_name is missing/);
  });
});
