import { combine } from './latents.ts';
import type { StepResult } from './scheduler.ts';
import { SigmaScheduler } from './sigma-scheduler.ts';

/**
 * diffusers' EulerDiscreteScheduler with s_churn = 0: Euler's method on the probability-flow ODE
 * dx/dσ = (x − x̂0)/σ (Karras et al. 2022, Algorithm 2 with γ = 0, i.e. Algorithm 1 without the
 * Heun correction). SD-Turbo ships it with `trailing` spacing.
 */
export class EulerScheduler extends SigmaScheduler {
  readonly name = 'euler';

  protected update(
    modelOutput: Float32Array,
    sample: Float32Array,
    sigma: number,
    sigmaNext: number,
  ): StepResult {
    // 1. x̂0 from the model output (s_churn = 0, so σ̂ = σ and no noise is added first).
    const predOriginal = this.predictOriginal(modelOutput, sample, sigma);
    // 2. d = (x − x̂0)/σ, the ODE's slope; 3. x_next = x + d·(σ_next − σ).
    const dt = sigmaNext - sigma;
    const prevSample = combine(sample, predOriginal, (x, x0) => x + ((x - x0) / sigma) * dt);
    return { prevSample, predOriginal };
  }
}
