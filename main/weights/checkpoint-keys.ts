/**
 * A single-file Stable Diffusion checkpoint in the original (CompVis/LDM) key layout, as community
 * sites ship it, mapped onto the names of a diffusers folder: every tensor either lands under the
 * diffusers/transformers name of the component that uses it or is one the app knowingly leaves
 * unused. Anything else refuses the file, naming the first key it did not expect: a guessed
 * mapping would run a model with silently missing or misplaced weights.
 */
import { hfClipNames, HF_CLIP_PREFIX, openClipNames, OPEN_CLIP_PREFIX } from './ldm-text-keys.ts';
import { ldmUnetNames, LDM_UNET_PREFIX } from './ldm-unet-keys.ts';
import { ldmVaeNames, LDM_VAE_PREFIX } from './ldm-vae-keys.ts';
import { SafetensorsError, type SafetensorsFile } from './safetensors.ts';

export type CheckpointComponent = 'unet' | 'vae' | 'text_encoder';

/** SD 1.x (CLIP ViT-L text encoder) or SD 2.x (OpenCLIP ViT-H), told by the text encoder. */
export type CheckpointArchitecture = 'sd1' | 'sd2';

/** Where a diffusers parameter lies in a checkpoint. */
export interface CheckpointTensor {
  readonly key: string;
  /** For OpenCLIP's fused q/k/v projection: which third of its rows (0 q, 1 k, 2 v). */
  readonly third?: 0 | 1 | 2;
}

/** A checkpoint key's diffusers names (none for a known, unused key), or undefined if unknown. */
export type Translate = (
  key: string,
) => readonly (readonly [string, CheckpointTensor])[] | undefined;

export interface CheckpointLayout {
  readonly architecture: CheckpointArchitecture;
  /** Per component, diffusers name → checkpoint tensor. */
  readonly components: Readonly<Record<CheckpointComponent, ReadonlyMap<string, CheckpointTensor>>>;
  /** The keys no component uses, in the file's order. */
  readonly unused: readonly string[];
}

/** What real checkpoints carry that inference does not use. */
const UNUSED = [
  // The UNet's EMA copy (a training artefact; like diffusers, the plain weights are used).
  /^model_ema\./,
  // LatentDiffusion's noise-schedule buffers: the scheduler computes its own.
  /^(?:betas|alphas_cumprod|alphas_cumprod_prev|sqrt_alphas_cumprod|sqrt_one_minus_alphas_cumprod|log_one_minus_alphas_cumprod|sqrt_recip_alphas_cumprod|sqrt_recipm1_alphas_cumprod|posterior_variance|posterior_log_variance_clipped|posterior_mean_coef1|posterior_mean_coef2|logvar)$/,
  // CLIP's position-id buffer (0..76, implied); OpenCLIP's pooled projection and contrastive scale.
  /^cond_stage_model\.transformer\.text_model\.embeddings\.position_ids$/,
  /^cond_stage_model\.model\.(?:text_projection|logit_scale)$/,
  // The autoencoder's training loss (LPIPS, discriminator), kept by some merges.
  /^first_stage_model\.loss\./,
];

/** Files mistaken for checkpoints, each told by keys only it has. */
const LOOKALIKES: readonly (readonly [RegExp, string])[] = [
  [
    /^lora_(?:unet|te\d?)_|\.lora_(?:up|down|A|B)\.weight$|\.lora\.(?:up|down)\.weight$/,
    'a LoRA (add it as a LoRA)',
  ],
  [/^conditioner\.embedders\./, 'an SDXL checkpoint, which the app does not run'],
  [/^control_model\./, 'a ControlNet'],
  [/^(?:emb_params|string_to_param\.)/, 'a textual-inversion embedding'],
  [
    /^(?:down_blocks|mid_block|up_blocks|time_embedding)\./,
    'a diffusers UNet (unet/diffusion_pytorch_model.safetensors; import the whole diffusers folder)',
  ],
  [
    /^(?:encoder\.down_blocks|decoder\.up_blocks)\./,
    'a diffusers VAE (vae/diffusion_pytorch_model.safetensors; import the whole diffusers folder)',
  ],
  [/^(?:encoder\.down|decoder\.up)\.\d+\.block\./, 'a standalone VAE in the LDM layout'],
  [
    /^(?:text_model\.)?encoder\.layers\./,
    'a text encoder (text_encoder/model.safetensors; import the whole diffusers folder)',
  ],
];

/** Maps every tensor of `file`, or refuses the file naming the first key it cannot place. */
export function mapCheckpoint(file: SafetensorsFile): CheckpointLayout {
  const refusal = (why: string) => new SafetensorsError(file.file, why);
  const keys = file.list().map((tensor) => tensor.name);
  for (const [pattern, what] of LOOKALIKES) {
    const key = keys.find((k) => pattern.test(k));
    if (key !== undefined)
      throw refusal(`is ${what}, not a Stable Diffusion checkpoint (key "${key}")`);
  }
  const holds = (prefix: string) => keys.some((k) => k.startsWith(prefix));
  if (!holds(LDM_UNET_PREFIX))
    throw refusal(`holds no UNet (${LDM_UNET_PREFIX}*): not an SD checkpoint`);
  if (!holds(LDM_VAE_PREFIX)) throw refusal(`holds no VAE (${LDM_VAE_PREFIX}*)`);
  const hfClip = holds(HF_CLIP_PREFIX);
  const openClip = holds(OPEN_CLIP_PREFIX);
  if (hfClip === openClip) {
    throw refusal(
      `holds ${hfClip ? 'both' : 'neither'} an SD 1.x text encoder (${HF_CLIP_PREFIX}*) ${hfClip ? 'and' : 'nor'} an SD 2.x one (${OPEN_CLIP_PREFIX}*)`,
    );
  }
  const architecture: CheckpointArchitecture = hfClip ? 'sd1' : 'sd2';

  const single =
    (names: (key: string) => string | undefined): Translate =>
    (key) => {
      const name = names(key);
      return name === undefined ? undefined : [[name, { key }]];
    };
  const translators: readonly (readonly [CheckpointComponent, string, Translate])[] = [
    ['unet', LDM_UNET_PREFIX, single(ldmUnetNames(keys, file.file))],
    ['vae', LDM_VAE_PREFIX, single(ldmVaeNames(keys))],
    architecture === 'sd1'
      ? ['text_encoder', HF_CLIP_PREFIX, hfClipNames]
      : ['text_encoder', OPEN_CLIP_PREFIX, openClipNames(keys)],
  ];

  const components: Record<CheckpointComponent, Map<string, CheckpointTensor>> = {
    unet: new Map(),
    vae: new Map(),
    text_encoder: new Map(),
  };
  const unused: string[] = [];
  for (const key of keys) {
    if (UNUSED.some((pattern) => pattern.test(key))) {
      unused.push(key);
      continue;
    }
    const [component, , translate] = translators.find(([, prefix]) => key.startsWith(prefix)) ?? [];
    const names = translate?.(key);
    if (!component || !names) {
      throw refusal(
        `holds "${key}", which no SD ${architecture === 'sd1' ? '1' : '2'}.x checkpoint has`,
      );
    }
    if (names.length === 0) unused.push(key);
    for (const [name, tensor] of names) {
      const twin = components[component].get(name);
      if (twin)
        throw refusal(`holds both "${twin.key}" and "${key}" for the ${component} "${name}"`);
      if (tensor.third !== undefined) checkThirds(file, key);
      components[component].set(name, tensor);
    }
  }
  return { architecture, components, unused };
}

/** A fused q/k/v projection ([3H, H] or [3H]) must split into three equal parts. */
function checkThirds(file: SafetensorsFile, key: string): void {
  const { shape } = file.info(key);
  const rows = shape[0] ?? 0;
  if (
    shape.length > 2 ||
    rows === 0 ||
    rows % 3 !== 0 ||
    (shape.length === 2 && rows !== 3 * shape[1]!)
  ) {
    throw new SafetensorsError(
      file.file,
      `tensor "${key}" is [${shape.join(', ')}], not a q/k/v projection of three equal parts`,
    );
  }
}
