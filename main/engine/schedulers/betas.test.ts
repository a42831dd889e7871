import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alphasCumprod, betas } from './betas.ts';
import { parseSchedulerConfig } from './config.ts';
import { SD15_CONFIG, SD_ALPHA_PROD, assertClose } from '../../testing/schedulers.ts';

const sd = parseSchedulerConfig(SD15_CONFIG, 'ddim');

describe('betas', () => {
  it('spans scaled_linear from beta_start to beta_end, quadratically in between', () => {
    const b = betas(sd);
    assert.equal(b.length, 1000);
    assertClose(b[0]!, 0.00085, 1e-6);
    assertClose(b[999]!, 0.012, 1e-6);
    // Midpoint of the square roots, squared: ((√0.00085 + √0.012)/2)² (i = 499.5 lies between).
    const mid = ((Math.sqrt(0.00085) + Math.sqrt(0.012)) / 2) ** 2;
    assert.ok(b[499]! < mid && mid < b[500]!);
  });

  it('spans linear evenly', () => {
    const b = betas(parseSchedulerConfig({}, 'ddim'));
    assertClose(b[0]!, 0.0001, 1e-6);
    assertClose(b[999]!, 0.02, 1e-6);
    assertClose(b[333]! - b[332]!, (0.02 - 0.0001) / 999, 1e-3);
  });

  it('uses trained betas as given', () => {
    const config = parseSchedulerConfig(
      { num_train_timesteps: 3, trained_betas: [0.5, 0.25, 0.1], beta_schedule: 'linear' },
      'ddim',
    );
    assert.deepEqual([...betas(config)], [0.5, 0.25, Math.fround(0.1)]);
  });

  it('caps the cosine schedule at 0.999', () => {
    const b = betas(parseSchedulerConfig({ beta_schedule: 'squaredcos_cap_v2' }, 'ddim'));
    assert.equal(b[999], Math.fround(0.999));
    assert.ok(b[0]! < 1e-4);
  });
});

describe('alphasCumprod', () => {
  it("matches SD's schedule computed independently in float64", () => {
    const acp = alphasCumprod(sd);
    for (const [t, expected] of Object.entries(SD_ALPHA_PROD)) {
      assertClose(acp[Number(t)]!, expected, 2e-6, `ᾱ_${t}`);
    }
  });

  it('matches the linear and cosine schedules computed in float64', () => {
    const linear = alphasCumprod(parseSchedulerConfig({}, 'ddim'));
    assertClose(linear[0]!, 0.9999, 1e-6);
    assertClose(linear[499]!, 0.07858724288177824, 1e-5);
    assertClose(linear[999]!, 4.0358297653756754e-5, 1e-4);
    const cosine = alphasCumprod(
      parseSchedulerConfig({ beta_schedule: 'squaredcos_cap_v2' }, 'ddim'),
    );
    assertClose(cosine[0]!, 0.999958715775178, 1e-6);
    assertClose(cosine[499]!, 0.4938435904406382, 1e-5);
  });

  it('holds the float32 values torch computes, not rounded float64 ones', () => {
    // torch squares float32 roots: β_999 = f32(f32(√0.012)²) = 0.011999999172985554, while
    // f32(0.012) = 0.012000000104308128.
    const b = betas(sd);
    assert.equal(b[0], 0.0008499999530613422);
    assert.equal(b[999], 0.011999999172985554);
    // Those float32 betas move ᾱ_999 by ~7e-7 relative from the float64 product (the pinned value
    // is this emulation's; we had no torch here to read diffusers' bits from).
    const acp = alphasCumprod(sd);
    assert.notEqual(acp[999], Math.fround(SD_ALPHA_PROD[999]!));
    assertClose(acp[999]!, 0.00466009508818388, 1e-7);
  });

  it('rescales to zero terminal SNR, keeping ᾱ_0 (Lin et al. 2024, Algorithm 1)', () => {
    const config = parseSchedulerConfig({ ...SD15_CONFIG, rescale_betas_zero_snr: true }, 'ddim');
    const acp = alphasCumprod(config);
    assert.equal(acp[999], 0);
    assertClose(acp[0]!, 0.99915, 1e-6);
    // √ᾱ is shifted and stretched linearly: (√ᾱ_t − √ᾱ_T)·√ᾱ_0/(√ᾱ_0 − √ᾱ_T).
    const root = (t: number): number => Math.sqrt(SD_ALPHA_PROD[t]!);
    const expected499 = ((root(499) - root(999)) * root(0)) / (root(0) - root(999));
    assertClose(Math.sqrt(acp[499]!), expected499, 1e-5);
  });
});
