/**
 * What the style catalogue (models/styles.json) may say, as zod schemas, and its styles as the
 * app runs them: preview and LoRA paths resolved against the catalogue's folder. The first fault
 * throws STYLE_CATALOG_INVALID naming the style and the field (`settings.lcm.steps`). Whether the
 * previews exist is the loader's concern (this stays free of I/O).
 */
import path from 'node:path';
import { z } from 'zod';
import { checked, isPlainObject, shown } from '../api/fields.ts';
import {
  CUSTOM_TIMESTEP_SCHEDULERS,
  SCHEDULER_NAMES,
  type SchedulerName,
} from '../engine/schedulers/scheduler.ts';
import { customTimestepsFault } from '../engine/schedulers/timesteps.ts';
import { isModelId } from '../models/model-id.ts';
import { StyleError } from './errors.ts';
import {
  LORA_SCALE_RANGE,
  MODEL_FAMILIES,
  type FamilySettings,
  type ModelFamily,
  type Style,
  type StyleLora,
} from './types.ts';

const ID_PATTERN = /^[a-z0-9-]+$/;
/**
 * LCM img2img truncates a schedule distilled from this many steps (diffusers' default
 * `original_inference_steps`) to the strength, then runs every requested step inside it.
 */
const LCM_ORIGINAL_STEPS = 50;

const text = ({ allowEmpty = false } = {}) =>
  checked<string>(
    (v) => typeof v === 'string' && (allowEmpty || v.trim() !== ''),
    (v) => (typeof v === 'string' ? 'must not be empty' : `must be a string, got ${shown(v)}`),
  );

type Refusal = (path: (string | number)[], message: string) => void;

/**
 * An object of exactly `shape`'s fields: any other is refused by name, with `unknown` saying what
 * was expected, before `rules` look at how the fields go together.
 */
function exact<S extends z.ZodRawShape, R>(
  shape: S,
  notAnObject: string,
  unknown: (key: string) => string,
  rules: (value: z.infer<z.ZodObject<S>>, refuse: Refusal) => void,
  build: (value: z.infer<z.ZodObject<S>>) => R,
) {
  return z
    .unknown()
    .superRefine((value, ctx) => {
      if (!isPlainObject(value)) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: notAnObject, fatal: true });
        return;
      }
      const extra = Object.keys(value).find((key) => !Object.hasOwn(shape, key));
      if (extra !== undefined)
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: [extra],
          message: unknown(extra),
          fatal: true,
        });
    })
    .pipe(
      z
        .object(shape)
        .superRefine((value, ctx) =>
          rules(value, (path, message) =>
            ctx.addIssue({ code: z.ZodIssueCode.custom, path, message, fatal: true }),
          ),
        )
        .transform(build),
    );
}

const SETTING_FIELDS = ['strength', 'steps', 'timesteps', 'guidance', 'scheduler'];
/** Every family's scheduler config trains on 1000 timesteps. */
const TRAIN_TIMESTEPS = 1000;

/** How a style runs on one family, with the engine's own rules (timesteps.ts, lcm.ts) checked now. */
function familySettings(family: ModelFamily) {
  return exact(
    {
      strength: checked<number>(
        (v) => typeof v === 'number' && v > 0 && v <= 1,
        (v) => `must be a number in (0, 1], got ${shown(v)}`,
      ),
      steps: checked<number>(
        (v) => Number.isSafeInteger(v) && (v as number) >= 1,
        (v) => `must be an integer of at least 1, got ${shown(v)}`,
      ).optional(),
      timesteps: checked<number[]>(
        (v) =>
          Array.isArray(v) &&
          v.every(Number.isInteger) &&
          customTimestepsFault(v, TRAIN_TIMESTEPS) === undefined,
        (v) =>
          Array.isArray(v) && v.every(Number.isInteger)
            ? `${customTimestepsFault(v, TRAIN_TIMESTEPS)}, got ${shown(v)}`
            : `must be a list of whole timesteps, got ${shown(v)}`,
      ).optional(),
      guidance: checked<number>(
        (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0,
        (v) => `must be a number of at least 0, got ${shown(v)}`,
      ),
      scheduler: checked<SchedulerName>(
        (v) => (SCHEDULER_NAMES as readonly unknown[]).includes(v),
        (v) => `must be one of ${SCHEDULER_NAMES.join(', ')}, got ${shown(v)}`,
      ),
    },
    `must be an object with strength, steps or timesteps, guidance and scheduler`,
    () => `unknown field (expected ${SETTING_FIELDS.join(', ')})`,
    (settings, refuse) => {
      if ((settings.steps === undefined) === (settings.timesteps === undefined))
        return refuse(['steps'], 'needs exactly one of steps and timesteps');
      const steps = settings.steps ?? settings.timesteps!.length;
      // An LCM UNet is distilled for its own sampler, and the LCM sampler needs such a UNet.
      if ((family === 'lcm') !== (settings.scheduler === 'lcm'))
        return refuse(
          ['scheduler'],
          family === 'lcm'
            ? `must be lcm for the lcm family, got ${settings.scheduler}`
            : `lcm needs an LCM model; use another scheduler for ${family}`,
        );
      if (settings.timesteps && !CUSTOM_TIMESTEP_SCHEDULERS.includes(settings.scheduler))
        return refuse(
          ['timesteps'],
          `run only with ${CUSTOM_TIMESTEP_SCHEDULERS.join(' or ')}, not ${settings.scheduler}`,
        );
      if (family === 'lcm') {
        const available = Math.floor(LCM_ORIGINAL_STEPS * settings.strength);
        if (available < steps)
          refuse(
            ['steps'],
            `LCM at strength ${settings.strength} has floor(${LCM_ORIGINAL_STEPS} × strength) = ` +
              `${available} timesteps, fewer than ${steps} steps`,
          );
      } else if (Math.floor(steps * settings.strength) < 1) {
        refuse(
          [settings.timesteps ? 'timesteps' : 'steps'],
          `steps × strength must be at least 1 (${steps} × ${settings.strength}): no step would run`,
        );
      }
    },
    ({ steps, timesteps, ...settings }): FamilySettings =>
      timesteps
        ? { ...settings, steps: timesteps.length, timesteps }
        : { ...settings, steps: steps! },
  );
}

const settingsSchema = exact(
  Object.fromEntries(MODEL_FAMILIES.map((family) => [family, familySettings(family)])) as Record<
    ModelFamily,
    ReturnType<typeof familySettings>
  >,
  `must be an object with ${MODEL_FAMILIES.join(', ')}`,
  () => `unknown model family (expected ${MODEL_FAMILIES.join(', ')})`,
  () => undefined,
  (settings): Record<ModelFamily, FamilySettings> => settings,
);

const LORA_FIELDS = ['id', 'file', 'scale'];

/**
 * `lora`: exactly one of `id` (an installed LoRA) and `file` (a .safetensors file, relative to the
 * catalogue's folder or absolute), and a finite `scale` in LORA_SCALE_RANGE (default 1).
 */
function loraSchema(dir: string) {
  const { min, max } = LORA_SCALE_RANGE;
  return exact(
    {
      id: checked<string>(
        isModelId,
        (v) => `must be an installed LoRA's id (a lowercase slug), got ${shown(v)}`,
      ).optional(),
      file: text()
        .refine(
          (named) => /\.safetensors$/i.test(named),
          (named) => ({ message: `must be a .safetensors file, got "${named}"`, fatal: true }),
        )
        .optional(),
      scale: checked<number>(
        (v) => typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max,
        (v) => `must be a number from ${min} to ${max} (1: as trained), got ${shown(v)}`,
      ).optional(),
    },
    'must be an object with an id or a file, and a scale',
    () => `unknown field (expected ${LORA_FIELDS.join(', ')})`,
    (lora, refuse) => {
      if ((lora.id === undefined) === (lora.file === undefined))
        refuse([], 'needs exactly one of id (an installed LoRA) and file (a .safetensors file)');
    },
    ({ id, file, scale = 1 }): StyleLora =>
      id !== undefined ? { id, scale } : { file: file!, path: path.resolve(dir, file!), scale },
  );
}

/** Trigger words: a non-empty list of non-empty strings, without the commas that separate them. */
const triggerWords = checked<string[]>(
  (v) => Array.isArray(v) && v.length > 0 && v.every(isWord),
  (v) => {
    if (!Array.isArray(v) || v.length === 0)
      return `must be a non-empty array of strings, got ${shown(v)}`;
    const i = v.findIndex((word) => !isWord(word));
    return `[${i}] must be a word or phrase without commas, got ${shown(v[i])}`;
  },
).transform((words) => words.map((word) => word.trim()));

function isWord(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '' && !value.includes(',');
}

function isInside(dir: string, file: string): boolean {
  const relative = path.relative(dir, file);
  return relative !== '' && relative.split(path.sep)[0] !== '..' && !path.isAbsolute(relative);
}

const STYLE_FIELDS = [
  'id',
  'name',
  'description',
  'prompt',
  'negativePrompt',
  'previewFile',
  'settings',
  'lora',
  'triggerWords',
];

function styleSchema(dir: string) {
  return exact(
    {
      id: text().refine(
        (id) => ID_PATTERN.test(id),
        (id) => ({ message: `must match ${ID_PATTERN}, got "${id}"`, fatal: true }),
      ),
      name: text(),
      description: text(),
      prompt: text(),
      negativePrompt: text({ allowEmpty: true }),
      // A catalogue names files beside itself, never elsewhere on the disk.
      previewFile: text().refine(
        (file) => !path.isAbsolute(file) && isInside(dir, path.resolve(dir, file)),
        (file) => ({
          message: `must be a path inside the catalogue's folder, got "${file}"`,
          fatal: true,
        }),
      ),
      settings: settingsSchema,
      lora: loraSchema(dir).optional(),
      triggerWords: triggerWords.optional(),
    },
    'each style must be an object',
    () => `unknown field (expected ${STYLE_FIELDS.join(', ')})`,
    (style, refuse) => {
      if (style.triggerWords !== undefined && style.lora === undefined)
        refuse(['triggerWords'], 'belong to a LoRA: add "lora" or drop them');
    },
    ({ lora, triggerWords: words, ...style }): Style => ({
      ...style,
      previewPath: path.resolve(dir, style.previewFile),
      ...(lora ? { lora } : {}),
      ...(words ? { triggerWords: words } : {}),
    }),
  );
}

function catalogueSchema(dir: string) {
  return exact(
    {
      styles: z
        .array(styleSchema(dir), { message: '"styles" must be a non-empty array' })
        .min(1, '"styles" must be a non-empty array'),
    },
    'the catalogue must be a JSON object',
    (key) => `unknown top-level key "${key}"`,
    ({ styles }, refuse) => {
      const seen = new Set<string>();
      styles.forEach((style, i) => {
        if (seen.has(style.id))
          refuse(['styles', i, 'id'], 'is used by an earlier style: ids must be unique');
        seen.add(style.id);
      });
    },
    ({ styles }) => styles,
  );
}

/**
 * Checks a parsed catalogue and returns its styles with preview paths resolved against `file`'s
 * folder; the first fault throws STYLE_CATALOG_INVALID naming the style and the field.
 */
export function validateCatalog(json: unknown, file: string): Style[] {
  const parsed = catalogueSchema(path.dirname(file)).safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const [top, index, ...rest] = issue.path;
  if (top !== 'styles' || typeof index !== 'number')
    throw new StyleError('STYLE_CATALOG_INVALID', `${file}: ${issue.message}`, { file });
  const style = styleLabel((json as { styles: unknown[] }).styles[index], index);
  const field = rest.join('.');
  const where = ` style "${style}"${field ? `, ${field}` : ''}:`;
  throw new StyleError('STYLE_CATALOG_INVALID', `${file}:${where} ${issue.message}`, {
    file,
    style,
    ...(field ? { field } : {}),
  });
}

function styleLabel(entry: unknown, index: number): string {
  const id = isPlainObject(entry) ? entry.id : undefined;
  return typeof id === 'string' && id !== '' ? id : `#${index}`;
}
