import type { SchedulerConfig } from './config.ts';

/*
 * diffusers builds the schedule in torch float32, and ᾱ_t near t = N carries the whole signal
 * (SD: ᾱ_999 ≈ 0.0047), so we reproduce torch's float32 arithmetic operation by operation with
 * Math.fround instead of computing in float64: the arrays below hold the same float32 values
 * torch does (up to an ulp where torch's build fuses a multiply-add).
 */
const f32 = Math.fround;

/** β_0 … β_{N-1} of the configured schedule, as float32. */
export function betas(config: SchedulerConfig): Float32Array {
  const n = config.numTrainTimesteps;
  let result: Float32Array;
  if (config.trainedBetas !== undefined) {
    result = Float32Array.from(config.trainedBetas);
  } else {
    switch (config.betaSchedule) {
      case 'linear':
        result = linspaceFloat32(config.betaStart, config.betaEnd, n);
        break;
      case 'scaled_linear':
        // Latent diffusion: β_i = (√β_start + i/(N-1)·(√β_end − √β_start))².
        result = linspaceFloat32(Math.sqrt(config.betaStart), Math.sqrt(config.betaEnd), n).map(
          (root) => root * root,
        );
        break;
      case 'squaredcos_cap_v2':
        result = cosineBetas(n);
        break;
    }
  }
  return config.rescaleBetasZeroSnr ? rescaleZeroTerminalSnr(result) : result;
}

/** ᾱ_t = ∏_{s≤t} (1 − β_s) (DDPM, Ho et al. 2020, eq. 4 notation), as float32. */
export function alphasCumprod(config: SchedulerConfig): Float32Array {
  return cumprod(betas(config).map((beta) => 1 - beta));
}

/**
 * ᾱ_t by timestep for the samplers that step to t − N//steps (DDIM, PNDM). Below timestep 0, after
 * the last step, it is diffusers' final_alpha_cumprod: 1 with `set_alpha_to_one` (the last step
 * lands on x̂0), ᾱ_0 without (just short of it).
 */
export function alphaProdLookup(config: SchedulerConfig): (t: number) => number {
  const alphaProds = alphasCumprod(config);
  const finalAlphaProd = config.setAlphaToOne ? 1 : alphaProds[0]!;
  return (t) => (t >= 0 ? alphaProds[t]! : finalAlphaProd);
}

/**
 * torch.cumprod on CPU accumulates float32 inputs in double (ATen's acc_type) and rounds each
 * partial product to float32: that is what storing into a Float32Array does here.
 */
function cumprod(values: Float32Array): Float32Array {
  const out = new Float32Array(values.length);
  let product = 1;
  values.forEach((value, i) => {
    product *= value;
    out[i] = product;
  });
  return out;
}

/**
 * torch.linspace(start, end, n, dtype=float32) on CPU: float32 start, end and step; the first half
 * counts up from start, the second half down from end, so both endpoints are exact.
 */
function linspaceFloat32(start: number, end: number, n: number): Float32Array {
  const first = f32(start);
  const last = f32(end);
  const step = f32(f32(last - first) / (n - 1));
  const halfway = Math.floor(n / 2);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = i < halfway ? first + f32(step * i) : last - f32(step * (n - 1 - i));
  }
  return out;
}

/**
 * Improved DDPM's cosine schedule (Nichol & Dhariwal 2021, eq. 17), β capped at 0.999; diffusers
 * computes it in Python floats and stores float32.
 */
function cosineBetas(n: number): Float32Array {
  const alphaBar = (t: number): number => Math.cos(((t + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = Math.min(1 - alphaBar((i + 1) / n) / alphaBar(i / n), 0.999);
  }
  return out;
}

/**
 * Lin et al. 2024, Algorithm 1: shift √ᾱ so the last step has zero SNR (ᾱ_{N-1} = 0) and rescale
 * it so the first keeps its value, then recover the betas. float32, as diffusers does it.
 */
function rescaleZeroTerminalSnr(input: Float32Array): Float32Array {
  const n = input.length;
  // 1. √ᾱ from the original betas.
  const rootAlphaBar = cumprod(input.map((beta) => 1 - beta)).map((value) => Math.sqrt(value));
  const first = rootAlphaBar[0] ?? 0;
  const last = rootAlphaBar[n - 1] ?? 0;
  // 2. Shift so the last is zero, 3. scale so the first is unchanged.
  const scale = f32(first / f32(first - last));
  const alphaBar = rootAlphaBar.map((root) => {
    const shifted = f32(f32(root - last) * scale);
    return shifted * shifted;
  });
  // 4. Undo the cumulative product: α_0 = ᾱ_0, α_t = ᾱ_t / ᾱ_{t-1}; β = 1 − α.
  return alphaBar.map((value, t) => 1 - (t === 0 ? value : f32(value / (alphaBar[t - 1] ?? 1))));
}
