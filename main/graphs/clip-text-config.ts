/**
 * transformers' CLIPTextConfig as a text encoder's config.json holds it, read with the defaults
 * of CLIPTextConfig's __init__. Field names are config.json's, so a diffusers folder's
 * text_encoder/config.json and the config inferred from a single-file checkpoint
 * (main/weights/checkpoint-config.ts) both read through `parseClipTextConfig`.
 */
import { ConfigReader, ModelConfigError } from './config-reader.ts';

/** transformers' ACT2FN names that CLIP text encoders use, as the graph builds them. */
export const CLIP_ACTIVATIONS = ['quick_gelu', 'gelu'] as const;
export type ClipActivation = (typeof CLIP_ACTIVATIONS)[number];

export interface ClipTextConfig {
  readonly vocab_size: number;
  readonly hidden_size: number;
  readonly intermediate_size: number;
  /** The layers run, all of them: SD 2.x's configs already leave out OpenCLIP's last one. */
  readonly num_hidden_layers: number;
  readonly num_attention_heads: number;
  readonly max_position_embeddings: number;
  /** OpenAI's CLIP (SD 1.x): quick_gelu; OpenCLIP ViT-H (SD 2.x): exact gelu. */
  readonly hidden_act: ClipActivation;
  readonly layer_norm_eps: number;
  /** Where pooler_output is taken; SD 1.x's config still says 2 (see clip-text-encoder.ts). */
  readonly eos_token_id: number;
}

/** CLIPTextConfig's __init__ defaults (CLIP ViT-B/32's text tower). */
const DEFAULTS: ClipTextConfig = {
  vocab_size: 49408,
  hidden_size: 512,
  intermediate_size: 2048,
  num_hidden_layers: 12,
  num_attention_heads: 8,
  max_position_embeddings: 77,
  hidden_act: 'quick_gelu',
  layer_norm_eps: 1e-5,
  eos_token_id: 49407,
};

const FILE = 'text_encoder/config.json';

/**
 * `json` as CLIPTextConfig reads it: absent keys take its defaults, keys that do not change the
 * inference graph (dropout, init ranges, dtype, bos/pad ids) are not read. Throws
 * ModelConfigError naming the key, and for names the accepted values, for a value of the wrong
 * type, out of range or not supported.
 */
export function parseClipTextConfig(json: unknown): ClipTextConfig {
  const c = new ConfigReader(json, FILE);
  // A full CLIPModel's config ("clip") nests the text tower's under text_config, and
  // CLIPTextModelWithProjection (SDXL's second encoder) adds text_embeds: neither is built.
  c.only('model_type', 'clip_text_model');
  c.names('architectures', ['CLIPTextModel'], ['CLIPTextModel']);

  const integer = (key: keyof ClipTextConfig, min: number): number => {
    const value = c.number(key, DEFAULTS[key] as number);
    if (!Number.isSafeInteger(value) || value < min) {
      throw new ModelConfigError(`${FILE}: ${key} is ${value}; expected an integer >= ${min}`);
    }
    return value;
  };
  const eps = c.number('layer_norm_eps', DEFAULTS.layer_norm_eps);
  if (!(eps > 0 && eps < 1)) {
    throw new ModelConfigError(`${FILE}: layer_norm_eps is ${eps}; expected a number in (0, 1)`);
  }
  const config: ClipTextConfig = {
    vocab_size: integer('vocab_size', 1),
    hidden_size: integer('hidden_size', 1),
    intermediate_size: integer('intermediate_size', 1),
    num_hidden_layers: integer('num_hidden_layers', 1),
    num_attention_heads: integer('num_attention_heads', 1),
    max_position_embeddings: integer('max_position_embeddings', 1),
    hidden_act: c.oneOf<ClipActivation>('hidden_act', DEFAULTS.hidden_act, CLIP_ACTIVATIONS),
    layer_norm_eps: eps,
    eos_token_id: integer('eos_token_id', 0),
  };
  // CLIPAttention refuses the same: heads split the width evenly.
  if (config.hidden_size % config.num_attention_heads !== 0) {
    throw new ModelConfigError(
      `${FILE}: hidden_size ${config.hidden_size} is not divisible by num_attention_heads ${config.num_attention_heads}`,
    );
  }
  return Object.freeze(config);
}
