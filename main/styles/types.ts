import { LIMITS } from '../api/limits.ts';
import type { Img2ImgRequest, ModelFamily } from '../engine/types.ts';
import type { SchedulerName } from '../engine/schedulers/scheduler.ts';

/**
 * Every family a style carries settings for, one per engine ModelFamily (the record makes the
 * compiler insist on all of them). They differ in what img2img needs, so one set of numbers
 * cannot serve all three:
 * - `turbo`: SD-Turbo / SD 2.x-turbo, Euler (trailing), no classifier-free guidance (guidance 0),
 *   1–4 steps; the negative prompt is unused.
 * - `sd15`: SD 1.5, DDIM, 20–30 steps, guidance 6–8; the negative prompt matters.
 * - `lcm`: latent consistency UNets (timestep_cond), the LCM sampler, 4–6 steps; guidance enters
 *   as the w-embedding (guidance − 1), never as a second batch.
 */
const FAMILIES: Record<ModelFamily, true> = { turbo: true, sd15: true, lcm: true };
export const MODEL_FAMILIES = Object.keys(FAMILIES) as readonly ModelFamily[];
export type { ModelFamily };

/** A run renders between one and this many styles. */
export const MAX_STYLES_PER_RUN = LIMITS.styles.max;

/** How one style runs on one model family. */
export interface FamilySettings {
  /** img2img strength in (0, 1]: lower keeps more of the photo, and so more of the face. */
  strength: number;
  /** Inference steps; with the strength, decides how many UNet calls run. */
  steps: number;
  /**
   * The timesteps to run, highest first, where the catalogue gives them in place of `steps`
   * (which then counts them): img2img starts at the first, so one timestep is one UNet call from
   * any noise level. euler and euler-a only.
   */
  timesteps?: readonly number[];
  /** Classifier-free guidance (sd15), the w-embedding's scale (lcm), 0 for turbo. */
  guidance: number;
  scheduler: SchedulerName;
}

/** One avatar style of the catalogue (models/styles.json), as the style picker shows it. */
export interface Style {
  /** Stable identifier, lower-case letters, digits and dashes: what runs and the api name. */
  id: string;
  /** Short display name ("Watercolour"). */
  name: string;
  /** One sentence for the picker's tooltip. */
  description: string;
  /** The positive prompt; its subject is always "a person" so the photo supplies who it is. */
  prompt: string;
  negativePrompt: string;
  /** The preview as written in the catalogue, relative to the catalogue's folder. */
  previewFile: string;
  /** The preview's absolute path, checked to exist when the catalogue loaded. */
  previewPath: string;
  settings: Readonly<Record<ModelFamily, Readonly<FamilySettings>>>;
  /** A LoRA the style runs with (its branches added to the UNet and text encoder). */
  lora?: Readonly<StyleLora>;
  /**
   * Words the LoRA was trained to answer to, put before the prompt as its trainer intends:
   * "<trigger words>, <prompt>" (stylePrompt). Only with a LoRA.
   */
  triggerWords?: readonly string[];
}

/** The scales a style's LoRA may run at: 1 as trained, 0 not at all, negative to push away. */
export const LORA_SCALE_RANGE = { min: -4, max: 4 } as const;

/**
 * A style's LoRA: an installed one (npm run models -- install/import) by id, or a .safetensors
 * file, as the catalogue names it (relative to its folder, or absolute) and resolved.
 */
export type StyleLora =
  | { id: string; scale: number }
  | {
      /** As written in the catalogue. */
      file: string;
      /** Absolute, resolved against the catalogue's folder; looked for at a run, not at load. */
      path: string;
      scale: number;
    };

export interface StyleCatalog {
  /** The JSON file it was read from. */
  file: string;
  /** In catalogue order: the picker shows them so. */
  styles: readonly Readonly<Style>[];
}

/** What one style contributes to an engine request on a given family. */
export type StyleSettings = Required<
  Pick<
    Img2ImgRequest,
    'prompt' | 'negativePrompt' | 'strength' | 'steps' | 'guidance' | 'scheduler'
  >
> &
  Pick<Img2ImgRequest, 'timesteps'>;
