/**
 * What one tensor name in a LoRA file means. Two naming schemes exist for SD 1.x/2.x LoRAs:
 * kohya's sd-scripts (what community sites ship) flattens the module path into one underscored
 * word, `lora_unet_down_blocks_0_attentions_0_proj_in.lora_down.weight`; diffusers and PEFT keep
 * it dotted, `unet.down_blocks.0.attentions.0.proj_in.lora_A.weight`, and older diffusers named
 * attention branches after their processor, `unet.….attn1.processor.to_q_lora.down.weight`.
 */
import type { LoraComponent } from './types.ts';

export const LORA_FORMATS = ['kohya', 'peft'] as const;
export type LoraFormat = (typeof LORA_FORMATS)[number];

/** One of a layer's three tensors. */
export interface LoraPart {
  format: LoraFormat;
  /** The key without its part's suffix: every tensor of one layer shares it. */
  layer: string;
  component: LoraComponent;
  /** kohya: the underscored module name; peft: the module path, as the model names it. */
  name: string;
  part: 'down' | 'up' | 'alpha';
}

/**
 * A key of a LoRA namespace: one of a layer's tensors, or why the app cannot apply the file, as
 * the rest of a sentence that starts with the file's name.
 */
export type LoraKey = LoraPart | { refused: string };

/** LyCORIS's other decompositions, told by their tensors' suffixes. */
const LYCORIS: readonly (readonly [RegExp, string])[] = [
  [/^hada_/, 'is a LyCORIS LoHa, which the app cannot apply'],
  [/^lokr_/, 'is a LyCORIS LoKr, which the app cannot apply'],
  [/^dora_scale$/, 'is a DoRA, which the app cannot apply'],
  [/^diff(?:_b)?$/, 'is a LyCORIS full-difference file, which the app cannot apply'],
  [/^lora_mid\.weight$/, 'is a LyCORIS LoCon with Tucker cores, which the app cannot apply'],
];

export const SDXL_REFUSAL = 'is an SDXL LoRA; the app runs SD 1.x and 2.x models';

/** The key's meaning, or undefined when it belongs to no LoRA namespace (a checkpoint's key). */
export function readLoraKey(key: string): LoraKey | undefined {
  return kohyaKey(key) ?? peftKey(key);
}

const KOHYA_PARTS = new Map<string, LoraPart['part']>([
  ['lora_down.weight', 'down'],
  ['lora_up.weight', 'up'],
  ['alpha', 'alpha'],
]);

function kohyaKey(key: string): LoraKey | undefined {
  const match = /^lora_(unet|te|te1|te2)_([^.]+)\.(.+)$/.exec(key);
  if (!match) return undefined;
  const [, scope, name, suffix] = match as unknown as [string, string, string, string];
  if (scope === 'te1' || scope === 'te2') return { refused: SDXL_REFUSAL };
  const lycoris = LYCORIS.find(([pattern]) => pattern.test(suffix));
  if (lycoris) return { refused: lycoris[1] };
  const part = KOHYA_PARTS.get(suffix);
  if (part === undefined) return { refused: 'holds a tensor kohya LoRAs do not have' };
  return {
    format: 'kohya',
    layer: `lora_${scope}_${name}`,
    component: scope === 'unet' ? 'unet' : 'text_encoder',
    // The model's targets drop transformers' `text_model.` root (main/lora/types.ts).
    name: scope === 'unet' ? name : name.replace(/^text_model_/, ''),
    part,
  };
}

/** PEFT's suffixes; a bare down/up is older diffusers', whose branch is a module of its own. */
const PEFT_PARTS: readonly (readonly [string, LoraPart['part'], boolean])[] = [
  ['.lora_A.weight', 'down', false],
  ['.lora_B.weight', 'up', false],
  ['.alpha', 'alpha', false],
  ['.down.weight', 'down', true],
  ['.up.weight', 'up', true],
];

const UNKNOWN_PEFT = 'holds a tensor diffusers LoRAs do not have';

function peftKey(key: string): LoraKey | undefined {
  const match = /^(unet|text_encoder|text_encoder_2)\.(.+)$/.exec(key);
  if (!match) return undefined;
  const [, scope, rest] = match as unknown as [string, string, string];
  if (scope === 'text_encoder_2') return { refused: SDXL_REFUSAL };
  const component: LoraComponent = scope === 'unet' ? 'unet' : 'text_encoder';
  const found = PEFT_PARTS.find(([suffix]) => rest.endsWith(suffix));
  if (!found) return { refused: UNKNOWN_PEFT };
  const [suffix, part, bare] = found;
  const layer = rest.slice(0, -suffix.length);
  const module = layer.replace(/^text_model\./, '');
  const name = branchTarget(component, module) ?? (bare ? undefined : module);
  if (name === undefined) return { refused: UNKNOWN_PEFT };
  return { format: 'peft', layer: `${scope}.${layer}`, component, name, part };
}

/** Old diffusers' attention-processor branches, by the module each one adds to. */
const PROCESSOR_BRANCHES: Record<LoraComponent, Record<string, string>> = {
  unet: { to_q_lora: 'to_q', to_k_lora: 'to_k', to_v_lora: 'to_v', to_out_lora: 'to_out.0' },
  text_encoder: {
    to_q_lora: 'q_proj',
    to_k_lora: 'k_proj',
    to_v_lora: 'v_proj',
    to_out_lora: 'out_proj',
  },
};

/**
 * The layer an older diffusers branch module (`attn1.processor.to_q_lora`, `to_q.lora`,
 * `q_proj.lora_linear_layer`) adds to; undefined for any other module.
 */
function branchTarget(component: LoraComponent, module: string): string | undefined {
  const processor = /^(.*?)(?:\.processor)?\.(to_[qkv]_lora|to_out_lora)$/.exec(module);
  if (processor) return `${processor[1]}.${PROCESSOR_BRANCHES[component][processor[2]!]}`;
  return /^(.*)\.(?:lora|lora_linear_layer)$/.exec(module)?.[1];
}
