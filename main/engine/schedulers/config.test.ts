import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  SCHEDULER_CONFIG_FILE,
  parseSchedulerConfig,
  schedulerForClassName,
  schedulerForConfig,
} from './config.ts';
import { SD15_CONFIG, assertEngineError } from '../../testing/schedulers.ts';

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

    const pndm = parseSchedulerConfig({}, 'pndm');
    assert.equal(pndm.timestepSpacing, 'leading');
    assert.equal(pndm.setAlphaToOne, false);
    // PNDMScheduler has no zero-SNR option: diffusers ignores the key.
    assert.equal(
      parseSchedulerConfig({ rescale_betas_zero_snr: true }, 'pndm').rescaleBetasZeroSnr,
      false,
    );

    const dpm = parseSchedulerConfig({}, 'dpm');
    assert.equal(dpm.timestepSpacing, 'linspace');
    assert.equal(dpm.useKarrasSigmas, false);
  });

  it('reads use_karras_sigmas for dpm; dpm-karras turns it on whatever the file says', () => {
    assert.equal(parseSchedulerConfig({ use_karras_sigmas: true }, 'dpm').useKarrasSigmas, true);
    assert.equal(parseSchedulerConfig(SD15_CONFIG, 'dpm-karras').useKarrasSigmas, true);
    assert.equal(
      parseSchedulerConfig({ use_karras_sigmas: false }, 'dpm-karras').useKarrasSigmas,
      true,
    );
    assert.equal(parseSchedulerConfig({ use_karras_sigmas: true }, 'ddim').useKarrasSigmas, false);
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

  it('refuses sample prediction for Euler ancestral and PNDM, as diffusers does', () => {
    assertEngineError(
      () => parseSchedulerConfig({ prediction_type: 'sample' }, 'euler-a'),
      'CONFIG_INVALID',
      /accepted: epsilon, v_prediction$/,
    );
    assertEngineError(
      () => parseSchedulerConfig({ prediction_type: 'sample' }, 'pndm'),
      'CONFIG_INVALID',
      /accepted: epsilon, v_prediction$/,
    );
    assert.equal(
      parseSchedulerConfig({ prediction_type: 'sample' }, 'dpm').predictionType,
      'sample',
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
    assertEngineError(
      () => parseSchedulerConfig({ skip_prk_steps: false }, 'pndm'),
      'CONFIG_INVALID',
      /skip_prk_steps false is not supported by pndm; accepted: true/,
    );
    const dpmCases: [Record<string, unknown>, RegExp][] = [
      [{ algorithm_type: 'sde-dpmsolver++' }, /algorithm_type "sde-dpmsolver\+\+"/],
      [{ solver_order: 3 }, /solver_order 3.*accepted: 2/],
      [{ solver_type: 'heun' }, /solver_type "heun"/],
      [{ final_sigmas_type: 'sigma_min' }, /final_sigmas_type/],
      [{ use_lu_lambdas: true }, /use_lu_lambdas/],
      [{ thresholding: true }, /thresholding/],
      [{ variance_type: 'learned_range' }, /variance_type/],
      [{ lambda_min_clipped: -5.1 }, /lambda_min_clipped -5.1/],
    ];
    for (const [json, pattern] of dpmCases) {
      for (const name of ['dpm', 'dpm-karras'] as const) {
        assertEngineError(() => parseSchedulerConfig(json, name), 'CONFIG_INVALID', pattern);
      }
    }
    // What diffusers' own __init__ maps onto DPM-Solver++ midpoint (DEIS and UniPC configs).
    assert.doesNotThrow(() =>
      parseSchedulerConfig(
        { algorithm_type: 'deis', solver_type: 'bh2', variance_type: null },
        'dpm',
      ),
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
      [{ num_train_timesteps: 1e12 }, /num_train_timesteps must be an integer from 2 to 100000/],
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

  it('runs PNDM (SD 1.x) and DPM-Solver multistep natively', () => {
    assert.deepEqual(schedulerForClassName('PNDMScheduler'), { name: 'pndm', note: undefined });
    assert.deepEqual(schedulerForClassName('DPMSolverMultistepScheduler'), {
      name: 'dpm',
      note: undefined,
    });
    assert.equal(schedulerForConfig(SD15_CONFIG).name, 'pndm');
  });

  it('runs the other SD-compatible classes as DDIM, with a note', () => {
    const unipc = schedulerForClassName('UniPCMultistepScheduler');
    assert.equal(unipc.name, 'ddim');
    assert.match(unipc.note ?? '', /UniPCMultistepScheduler.*DDIM/);
    assert.equal(schedulerForClassName('DPMSolverSinglestepScheduler').name, 'ddim');
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
