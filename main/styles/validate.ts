import path from 'node:path';
import { isPlainObject } from '../api/fields.ts';
import { SCHEDULER_NAMES, type SchedulerName } from '../engine/schedulers/scheduler.ts';
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
] as const;
const LORA_FIELDS = ['id', 'file', 'scale'] as const;
const SETTING_FIELDS = ['strength', 'steps', 'guidance', 'scheduler'] as const;
/**
 * LCM img2img truncates a schedule distilled from this many steps (diffusers' default
 * `original_inference_steps`) to the strength, then runs every requested step inside it.
 */
const LCM_ORIGINAL_STEPS = 50;

/**
 * Checks a parsed catalogue, field by field, and returns its styles with preview paths resolved
 * against `file`'s folder. The first fault throws STYLE_CATALOG_INVALID naming the style and the
 * field. Whether the previews exist is the loader's concern (this stays free of I/O).
 */
export function validateCatalog(json: unknown, file: string): Style[] {
  const fail = (message: string, style?: string, field?: string): never => {
    const where = style === undefined ? '' : ` style "${style}"${field ? `, ${field}` : ''}:`;
    throw new StyleError('STYLE_CATALOG_INVALID', `${file}:${where} ${message}`, {
      file,
      ...(style !== undefined ? { style } : {}),
      ...(field !== undefined ? { field } : {}),
    });
  };

  if (!isPlainObject(json)) return fail('the catalogue must be a JSON object');
  for (const key of Object.keys(json)) if (key !== 'styles') fail(`unknown top-level key "${key}"`);
  const entries = json.styles;
  if (!Array.isArray(entries) || entries.length === 0)
    return fail('"styles" must be a non-empty array');

  const seen = new Set<string>();
  return entries.map((entry: unknown, index) => {
    const label = styleLabel(entry, index);
    const at =
      (field: string) =>
      (message: string): never =>
        fail(message, label, field);
    if (!isPlainObject(entry)) return fail('each style must be an object', label);
    for (const key of Object.keys(entry)) {
      if (!(STYLE_FIELDS as readonly string[]).includes(key))
        fail(`unknown field (expected ${STYLE_FIELDS.join(', ')})`, label, key);
    }

    const id = text(entry.id, at('id'));
    if (!ID_PATTERN.test(id)) at('id')(`must match ${ID_PATTERN}, got "${id}"`);
    if (seen.has(id)) at('id')('is used by an earlier style: ids must be unique');
    seen.add(id);

    const previewFile = text(entry.previewFile, at('previewFile'));
    const previewPath = path.resolve(path.dirname(file), previewFile);
    // A catalogue names files beside itself, never elsewhere on the disk.
    if (path.isAbsolute(previewFile) || !isInside(path.dirname(file), previewPath))
      at('previewFile')(`must be a path inside the catalogue's folder, got "${previewFile}"`);

    const lora =
      entry.lora === undefined
        ? undefined
        : styleLora(entry.lora, path.dirname(file), (field, message) =>
            fail(message, label, field),
          );
    if (entry.triggerWords !== undefined && !lora)
      at('triggerWords')('belong to a LoRA: add "lora" or drop them');
    const triggerWords =
      entry.triggerWords === undefined ? undefined : words(entry.triggerWords, at('triggerWords'));

    return {
      id,
      name: text(entry.name, at('name')),
      description: text(entry.description, at('description')),
      prompt: text(entry.prompt, at('prompt')),
      negativePrompt: text(entry.negativePrompt, at('negativePrompt'), { allowEmpty: true }),
      previewFile,
      previewPath,
      settings: familySettings(entry.settings, (field, message) => fail(message, label, field)),
      ...(lora ? { lora } : {}),
      ...(triggerWords ? { triggerWords } : {}),
    };
  });
}

function familySettings(
  value: unknown,
  fail: (field: string, message: string) => never,
): Record<ModelFamily, FamilySettings> {
  if (!isPlainObject(value))
    return fail('settings', `must be an object with ${MODEL_FAMILIES.join(', ')}`);
  for (const key of Object.keys(value)) {
    if (!(MODEL_FAMILIES as readonly string[]).includes(key))
      fail(`settings.${key}`, `unknown model family (expected ${MODEL_FAMILIES.join(', ')})`);
  }
  const entries = MODEL_FAMILIES.map(
    (family) =>
      [
        family,
        oneFamily(family, value[family], (field, message) =>
          fail(`settings.${family}${field ? `.${field}` : ''}`, message),
        ),
      ] as const,
  );
  return Object.fromEntries(entries) as Record<ModelFamily, FamilySettings>;
}

function oneFamily(
  family: ModelFamily,
  value: unknown,
  fail: (field: string, message: string) => never,
): FamilySettings {
  if (!isPlainObject(value)) return fail('', `must be an object with ${SETTING_FIELDS.join(', ')}`);
  for (const key of Object.keys(value)) {
    if (!(SETTING_FIELDS as readonly string[]).includes(key))
      fail(key, `unknown field (expected ${SETTING_FIELDS.join(', ')})`);
  }
  const { strength, steps, guidance, scheduler } = value;

  if (typeof strength !== 'number' || !(strength > 0 && strength <= 1))
    fail('strength', `must be a number in (0, 1], got ${show(strength)}`);
  if (!Number.isSafeInteger(steps) || (steps as number) < 1)
    fail('steps', `must be an integer of at least 1, got ${show(steps)}`);
  if (typeof guidance !== 'number' || !Number.isFinite(guidance) || guidance < 0)
    fail('guidance', `must be a number of at least 0, got ${show(guidance)}`);
  if (!(SCHEDULER_NAMES as readonly unknown[]).includes(scheduler))
    fail('scheduler', `must be one of ${SCHEDULER_NAMES.join(', ')}, got ${show(scheduler)}`);
  const settings = {
    strength: strength as number,
    steps: steps as number,
    guidance: guidance as number,
    scheduler: scheduler as SchedulerName,
  };

  // An LCM UNet is distilled for its own sampler, and the LCM sampler needs such a UNet.
  if ((family === 'lcm') !== (settings.scheduler === 'lcm'))
    fail(
      'scheduler',
      family === 'lcm'
        ? `must be lcm for the lcm family, got ${settings.scheduler}`
        : `lcm needs an LCM model; use another scheduler for ${family}`,
    );
  // The engine's own rules (schedulers/timesteps.ts, lcm.ts), checked now rather than at a run.
  if (family === 'lcm') {
    const available = Math.floor(LCM_ORIGINAL_STEPS * settings.strength);
    if (available < settings.steps)
      fail(
        'steps',
        `LCM at strength ${settings.strength} has floor(${LCM_ORIGINAL_STEPS} × strength) = ` +
          `${available} timesteps, fewer than ${settings.steps} steps`,
      );
  } else if (Math.floor(settings.steps * settings.strength) < 1) {
    fail(
      'steps',
      `steps × strength must be at least 1 (${settings.steps} × ${settings.strength}): no step would run`,
    );
  }
  return settings;
}

/**
 * `lora`: exactly one of `id` (an installed LoRA) and `file` (a .safetensors file, relative to the
 * catalogue's folder or absolute), and a finite `scale` in LORA_SCALE_RANGE (default 1).
 */
function styleLora(
  value: unknown,
  dir: string,
  fail: (field: string, message: string) => never,
): StyleLora {
  if (!isPlainObject(value))
    return fail('lora', 'must be an object with an id or a file, and a scale');
  for (const key of Object.keys(value)) {
    if (!(LORA_FIELDS as readonly string[]).includes(key))
      fail(`lora.${key}`, `unknown field (expected ${LORA_FIELDS.join(', ')})`);
  }
  const { id, file, scale = 1 } = value;
  const { min, max } = LORA_SCALE_RANGE;
  if (typeof scale !== 'number' || !Number.isFinite(scale) || scale < min || scale > max)
    fail(
      'lora.scale',
      `must be a number from ${min} to ${max} (1: as trained), got ${show(scale)}`,
    );
  if ((id === undefined) === (file === undefined))
    fail('lora', 'needs exactly one of id (an installed LoRA) and file (a .safetensors file)');
  if (id !== undefined) {
    if (!isModelId(id))
      fail('lora.id', `must be an installed LoRA's id (a lowercase slug), got ${show(id)}`);
    return { id: id as string, scale: scale as number };
  }
  const named = text(file, (message) => fail('lora.file', message));
  if (!/\.safetensors$/i.test(named))
    fail('lora.file', `must be a .safetensors file, got "${named}"`);
  return { file: named, path: path.resolve(dir, named), scale: scale as number };
}

/** Trigger words: a non-empty list of non-empty strings, without the commas that separate them. */
function words(value: unknown, fail: (message: string) => never): string[] {
  if (!Array.isArray(value) || value.length === 0)
    return fail(`must be a non-empty array of strings, got ${show(value)}`);
  return value.map((word, i) => {
    if (typeof word !== 'string' || word.trim() === '' || word.includes(','))
      fail(`[${i}] must be a word or phrase without commas, got ${show(word)}`);
    return (word as string).trim();
  });
}

function text(
  value: unknown,
  fail: (message: string) => never,
  { allowEmpty = false } = {},
): string {
  if (typeof value !== 'string') return fail(`must be a string, got ${show(value)}`);
  if (!allowEmpty && value.trim() === '') return fail('must not be empty');
  return value;
}

function styleLabel(entry: unknown, index: number): string {
  const id = isPlainObject(entry) ? entry.id : undefined;
  return typeof id === 'string' && id !== '' ? id : `#${index}`;
}

function isInside(dir: string, file: string): boolean {
  const relative = path.relative(dir, file);
  return relative !== '' && relative.split(path.sep)[0] !== '..' && !path.isAbsolute(relative);
}

function show(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}
