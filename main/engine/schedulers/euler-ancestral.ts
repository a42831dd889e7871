import type { NoiseSource } from '../random.ts';
import { combine } from './latents.ts';
import type { StepResult } from './scheduler.ts';
import { SigmaScheduler } from './sigma-scheduler.ts';

/**
 * diffusers' EulerAncestralDiscreteScheduler (k-diffusion's sample_euler_ancestral, eta 1): each
 * step goes down to σ_down with Euler's method, then adds fresh noise of size σ_up, so that
 * σ_down² + σ_up² = σ_next², the marginal of the reverse SDE. Needs `epsilon` or `v_prediction`
 * (diffusers does not implement `sample`; the config parser refuses it).
 */
export class EulerAncestralScheduler extends SigmaScheduler {
  readonly name = 'euler-a';

  protected update(
    modelOutput: Float32Array,
    sample: Float32Array,
    sigma: number,
    sigmaNext: number,
    noise: NoiseSource,
  ): StepResult {
    // 1. x̂0 from the model output.
    const predOriginal = this.predictOriginal(modelOutput, sample, sigma);
    // 2. σ_up = √(σ_next²·(σ² − σ_next²)/σ²), σ_down = √(σ_next² − σ_up²).
    const sigmaUp = Math.sqrt((sigmaNext ** 2 * (sigma ** 2 - sigmaNext ** 2)) / sigma ** 2);
    const sigmaDown = Math.sqrt(sigmaNext ** 2 - sigmaUp ** 2);
    // 3. Euler step to σ_down: x + d·(σ_down − σ) with d = (x − x̂0)/σ.
    const dt = sigmaDown - sigma;
    const descended = combine(sample, predOriginal, (x, x0) => x + ((x - x0) / sigma) * dt);
    // 4. Add σ_up·z. Drawn on every step, the last included (σ_up = 0 there), as diffusers draws
    // it, so a seed consumes the same amount of noise per step.
    const fresh = noise.normal(sample.length);
    const prevSample = combine(descended, fresh, (x, z) => x + z * sigmaUp);
    return { prevSample, predOriginal };
  }
}
