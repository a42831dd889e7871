/**
 * The blocks of the real Stable Diffusion graphs (diffusers' ResnetBlock2D, Transformer2DModel,
 * the VAE's attention, TAESD's Block, CLIP's encoder layer), at their real widths and head
 * counts, as torch.onnx lays them out at opset 17. The model builders (unet.ts, vae.ts, taesd.ts)
 * build from these over a model's own weights, named as diffusers names them; the full-size
 * fixtures are those builders over random weights, so a benchmark meets the real FLOPs.
 */
import { Layers } from './layers.ts';
import type { ClipActivation } from './clip-text-config.ts';
import type { Value } from './onnx-graph.ts';

/** The layer names of an attention's four projections. */
export interface AttentionNames {
  q: string;
  k: string;
  v: string;
  out: string;
}

export const DIFFUSERS_ATTENTION_NAMES: AttentionNames = {
  q: 'to_q',
  k: 'to_k',
  v: 'to_v',
  out: 'to_out.0',
};
export const CLIP_ATTENTION_NAMES: AttentionNames = {
  q: 'q_proj',
  k: 'k_proj',
  v: 'v_proj',
  out: 'out_proj',
};

/** diffusers' norm_num_groups for the UNet and the VAE. */
const GROUPS = 32;

/** A GroupNorm's groups (a config's norm_num_groups) and epsilon. */
export interface NormOptions {
  groups: number;
  eps: number;
}
/** UNet2DConditionModel's defaults: norm_num_groups 32, norm_eps 1e-5. */
const UNET_NORM: NormOptions = { groups: GROUPS, eps: 1e-5 };
/** AutoencoderKL's Encoder and Decoder hard-code resnet_eps 1e-6. */
export const VAE_NORM: NormOptions = { groups: GROUPS, eps: 1e-6 };

export class FullBlocks extends Layers {
  /** gelu(x) = x/2 · (1 + erf(x/√2)): opset 17 has no Gelu op, torch exports exactly this. */
  gelu(x: Value): Value {
    const g = this.g;
    const erf = g.op('Erf', [g.mul(x, g.scalar(Math.SQRT1_2))]);
    return g.mul(g.mul(x, g.scalar(0.5)), g.add(erf, g.scalar(1)));
  }

  /**
   * Multi-head attention of tokens [B, N, C] over `context` [B, M, contextDim] (itself when null).
   * `mask` is added to the scores (CLIP's causal mask). `names` are the projections' layer names
   * under `name`: diffusers' to_q/to_k/to_v/to_out.0 by default, CLIP's q_proj... for CLIP.
   */
  attention(
    x: Value,
    context: Value | null,
    name: string,
    o: {
      channels: number;
      contextDim?: number;
      heads: number;
      qkvBias: boolean;
      mask?: Value;
      names?: AttentionNames;
      /** diffusers' upcast_attention (SD 2.1-768): scores and softmax in float32 in a float16 graph. */
      upcast?: boolean;
    },
  ): Value {
    const g = this.g;
    const { channels, heads, names = DIFFUSERS_ATTENTION_NAMES } = o;
    const headDim = channels / heads;
    const source = context ?? x;
    const sourceDim = o.contextDim ?? channels;
    const q = this.linear(x, `${name}.${names.q}`, channels, channels, 1, o.qkvBias);
    const k = this.linear(source, `${name}.${names.k}`, sourceDim, channels, 1, o.qkvBias);
    const v = this.linear(source, `${name}.${names.v}`, sourceDim, channels, 1, o.qkvBias);
    if (!context && !o.mask && g.floatType === 'float32') {
      // Self-attention through onnxruntime's MultiHeadAttention, which runs MLAS flash attention
      // on the CPU: the [heads, N, N] scores (335 MB at 512 px, 1.7 GB at 768) are never written
      // out, and it is 0.8-0.9x the time (bench part 9). Cross-attention's N×77 scores are small
      // and the contrib op is slower there, so it keeps the plain ops.
      const attended = g.contribOp('MultiHeadAttention', [q, k, v], { num_heads: heads });
      return this.linear(attended, `${name}.${names.out}`, channels, channels);
    }
    const split = (t: Value, perm: number[]): Value =>
      g.transpose(g.reshape(t, [0, -1, heads, headDim]), perm);
    const upcast = o.upcast === true && g.floatType === 'float16';
    const wide = (t: Value): Value => (upcast ? g.cast(t, 'float32') : t);
    const scale = 1 / Math.sqrt(headDim);
    let scores = g.mul(
      g.matMul(wide(split(q, [0, 2, 1, 3])), wide(split(k, [0, 2, 3, 1]))),
      upcast ? g.constant(`${name}.upcast_scale`, 'float32', [], [scale]) : g.scalar(scale),
    );
    if (o.mask) scores = g.add(scores, o.mask);
    const probs = upcast ? g.cast(g.softmax(scores), 'float16') : g.softmax(scores);
    const attended = g.matMul(probs, split(v, [0, 2, 1, 3]));
    const merged = g.reshape(g.transpose(attended, [0, 2, 1, 3]), [0, -1, channels]);
    return this.linear(merged, `${name}.${names.out}`, channels, channels);
  }

  /** NCHW → tokens [B, HW, C]. */
  tokens(x: Value, channels: number): Value {
    return this.g.transpose(this.g.reshape(x, [0, channels, -1]), [0, 2, 1]);
  }

  /** Tokens [B, HW, C] → the NCHW shape of `like`. */
  untokens(t: Value, like: Value): Value {
    return this.g.reshape(this.g.transpose(t, [0, 2, 1]), this.g.shape(like));
  }

  /**
   * ResnetBlock2D (resnet_time_scale_shift "default", output_scale_factor 1): `time` is the UNet's
   * silu(temb) [B, timeDim], absent in the VAE; `norm` is the model's norm_num_groups and eps.
   */
  resnet(
    x: Value,
    name: string,
    inC: number,
    outC: number,
    o: { time?: { embedding: Value; dim: number }; norm?: NormOptions } = {},
  ): Value {
    const g = this.g;
    const { groups, eps } = o.norm ?? UNET_NORM;
    let h = this.conv2d(
      this.silu(this.groupNorm(x, `${name}.norm1`, inC, groups, eps)),
      `${name}.conv1`,
      inC,
      outC,
    );
    if (o.time) {
      const t = this.linear(o.time.embedding, `${name}.time_emb_proj`, o.time.dim, outC);
      h = g.add(h, g.unsqueeze(t, [2, 3]));
    }
    h = this.conv2d(
      this.silu(this.groupNorm(h, `${name}.norm2`, outC, groups, eps)),
      `${name}.conv2`,
      outC,
      outC,
    );
    const skip =
      inC === outC ? x : this.conv2d(x, `${name}.conv_shortcut`, inC, outC, { kernel: 1 });
    return g.add(skip, h);
  }

  /**
   * Transformer2DModel (one BasicTransformerBlock): self-attention, cross-attention on the text,
   * GEGLU feed-forward, each pre-normed and residual. proj_in/proj_out are linear layers with
   * use_linear_projection (SD 2.x / SD-Turbo), 1x1 convs without (SD 1.x).
   */
  transformer(
    x: Value,
    context: Value,
    name: string,
    o: {
      channels: number;
      contextDim: number;
      heads: number;
      groups?: number;
      linearProjection?: boolean;
      upcast?: boolean;
    },
  ): Value {
    const g = this.g;
    const c = o.channels;
    const linear = o.linearProjection ?? true;
    // Transformer2DModel's GroupNorm has eps 1e-6 whatever the UNet's norm_eps.
    const normed = this.groupNorm(x, `${name}.norm`, c, o.groups ?? UNET_NORM.groups, 1e-6);
    let t = linear
      ? this.linear(this.tokens(normed, c), `${name}.proj_in`, c, c)
      : this.tokens(this.conv2d(normed, `${name}.proj_in`, c, c, { kernel: 1 }), c);
    const block = `${name}.transformer_blocks.0`;
    const attn = {
      channels: c,
      heads: o.heads,
      qkvBias: false,
      names: DIFFUSERS_ATTENTION_NAMES,
      upcast: o.upcast,
    };
    t = g.add(
      t,
      this.attention(this.layerNorm(t, `${block}.norm1`, c), null, `${block}.attn1`, attn),
    );
    t = g.add(
      t,
      this.attention(this.layerNorm(t, `${block}.norm2`, c), context, `${block}.attn2`, {
        ...attn,
        contextDim: o.contextDim,
      }),
    );
    t = g.add(t, this.geglu(this.layerNorm(t, `${block}.norm3`, c), `${block}.ff`, c));
    const out = linear
      ? this.untokens(this.linear(t, `${name}.proj_out`, c, c), x)
      : this.conv2d(this.untokens(t, x), `${name}.proj_out`, c, c, { kernel: 1 });
    return g.add(x, out);
  }

  /**
   * The VAE mid-block's single-head Attention over every pixel (diffusers' UNetMidBlock2D with
   * attention_head_dim = channels), residual; `norm` is the VAE's groups and resnet eps (1e-6).
   */
  vaeAttention(x: Value, name: string, channels: number, norm: NormOptions = VAE_NORM): Value {
    const normed = this.groupNorm(x, `${name}.group_norm`, channels, norm.groups, norm.eps);
    const attended = this.attention(this.tokens(normed, channels), null, name, {
      channels,
      heads: 1,
      qkvBias: true,
      names: DIFFUSERS_ATTENTION_NAMES,
    });
    return this.g.add(x, this.untokens(attended, x));
  }

  /** TAESD's Block: three 3x3 convs with ReLUs, identity skip, ReLU after the sum. */
  taesdBlock(x: Value, name: string, channels: number): Value {
    const g = this.g;
    const relu = (v: Value): Value => g.op('Relu', [v]);
    let h = relu(this.conv2d(x, `${name}.conv.0`, channels, channels));
    h = relu(this.conv2d(h, `${name}.conv.2`, channels, channels));
    h = this.conv2d(h, `${name}.conv.4`, channels, channels);
    return relu(g.add(h, x));
  }

  /**
   * CLIP's pre-norm encoder layer (transformers' CLIPEncoderLayer): causal self-attention, then
   * fc1 → activation → fc2, each residual. `names` are the attention's projections under
   * `${name}.self_attn`; `intermediate` is fc1's width (4× for CLIP-L and OpenCLIP-H, but the
   * config says).
   */
  clipLayer(
    x: Value,
    name: string,
    o: {
      width: number;
      heads: number;
      intermediate: number;
      mask: Value;
      activation: ClipActivation;
      epsilon: number;
      names: AttentionNames;
    },
  ): Value {
    const g = this.g;
    const w = o.width;
    const attn = { channels: w, heads: o.heads, qkvBias: true, mask: o.mask, names: o.names };
    const normed1 = this.layerNorm(x, `${name}.layer_norm1`, w, o.epsilon);
    const h = g.add(x, this.attention(normed1, null, `${name}.self_attn`, attn));
    const normed2 = this.layerNorm(h, `${name}.layer_norm2`, w, o.epsilon);
    const m = this.linear(normed2, `${name}.mlp.fc1`, w, o.intermediate);
    return g.add(
      h,
      this.linear(this.clipActivation(m, o.activation), `${name}.mlp.fc2`, o.intermediate, w),
    );
  }

  /** transformers' ACT2FN by name; quick_gelu(x) = x·σ(1.702x), as OpenAI's CLIP was trained. */
  private clipActivation(x: Value, name: ClipActivation): Value {
    const g = this.g;
    switch (name) {
      case 'quick_gelu':
        return g.mul(x, g.sigmoid(g.mul(x, g.scalar(1.702))));
      case 'gelu':
        return this.gelu(x);
    }
  }

  /** GEGLU feed-forward: proj to 2×4C, value · gelu(gate), back to C. */
  private geglu(x: Value, name: string, channels: number): Value {
    const g = this.g;
    const inner = 4 * channels;
    const projected = this.linear(x, `${name}.net.0.proj`, channels, 2 * inner);
    const [value, gate] = g.node(
      'Split',
      [projected, g.int64s([inner, inner])],
      { axis: -1 },
      2,
    ) as [Value, Value];
    return this.linear(g.mul(value, this.gelu(gate)), `${name}.net.2`, inner, channels);
  }
}
