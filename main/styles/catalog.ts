import { readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { StyleError } from './errors.ts';
import {
  MAX_STYLES_PER_RUN,
  type ModelFamily,
  type Style,
  type StyleCatalog,
  type StyleSettings,
} from './types.ts';
import { validateCatalog } from './validate.ts';

/** models/styles.json, found from this module so that any working directory will do. */
export const DEFAULT_CATALOG_FILE = fileURLToPath(
  new URL('../../models/styles.json', import.meta.url),
);

/**
 * Reads and validates the style catalogue, previews included. Meant for start-up: a broken
 * catalogue is a build fault, and STYLE_CATALOG_INVALID names the style and field to fix.
 */
export async function loadStyleCatalog(file = DEFAULT_CATALOG_FILE): Promise<StyleCatalog> {
  const { styles } = await readStyleCatalog(file);
  for (const style of styles) {
    const found = await stat(style.previewPath).catch(() => undefined);
    if (!found?.isFile()) {
      throw new StyleError(
        'STYLE_CATALOG_INVALID',
        `${file}: style "${style.id}", previewFile: ${style.previewPath} does not exist ` +
          `(run npm run styles:previews)`,
        { file, style: style.id, field: 'previewFile' },
      );
    }
  }
  return { file, styles };
}

/**
 * The catalogue validated but its previews not looked for: for the tool that makes them. The app
 * uses loadStyleCatalog.
 */
export async function readStyleCatalog(file = DEFAULT_CATALOG_FILE): Promise<StyleCatalog> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new StyleError(
      'STYLE_CATALOG_INVALID',
      `cannot read the style catalogue ${file}: ${(error as Error).message}`,
      { file },
    );
  }
  return { file, styles: validateCatalog(json, file) };
}

/**
 * The styles a run asked for, in the order asked. Refuses an empty choice, more than
 * MAX_STYLES_PER_RUN, a repeated id and an id the catalogue lacks, naming the id.
 */
export function pickStyles(catalog: StyleCatalog, ids: readonly string[]): Readonly<Style>[] {
  if (ids.length === 0) throw new StyleError('NO_STYLE', 'choose at least one style');
  if (ids.length > MAX_STYLES_PER_RUN) {
    throw new StyleError(
      'TOO_MANY_STYLES',
      `choose at most ${MAX_STYLES_PER_RUN} styles per run, not ${ids.length}`,
    );
  }
  const picked: Readonly<Style>[] = [];
  for (const id of ids) {
    const style = catalog.styles.find((candidate) => candidate.id === id);
    if (!style) {
      const known = catalog.styles.map((s) => s.id).join(', ');
      throw new StyleError('UNKNOWN_STYLE', `unknown style "${id}" (known: ${known})`, {
        style: id,
      });
    }
    if (picked.includes(style)) {
      throw new StyleError('DUPLICATE_STYLE', `style "${id}" is chosen twice`, { style: id });
    }
    picked.push(style);
  }
  return picked;
}

/**
 * The engine request fields a style decides, tuned for the loaded model's family; the prompt with
 * the style's trigger words first (stylePrompt). Its LoRA is resolved apart (resolveStyleLora).
 */
export function styleSettings(style: Readonly<Style>, family: ModelFamily): StyleSettings {
  const { strength, steps, timesteps, guidance, scheduler } = style.settings[family];
  return {
    prompt: stylePrompt(style),
    negativePrompt: style.negativePrompt,
    strength,
    steps,
    ...(timesteps && { timesteps }),
    guidance,
    scheduler,
  };
}

/** "<trigger words>, <prompt>", as LoRA trainers caption their images; the prompt alone without. */
export function stylePrompt(style: Pick<Style, 'prompt' | 'triggerWords'>): string {
  const words = style.triggerWords ?? [];
  return words.length > 0 ? `${words.join(', ')}, ${style.prompt}` : style.prompt;
}
