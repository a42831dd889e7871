/**
 * The door's field rules, as zod schemas the api's schema (schema.ts) is built from, and the
 * helpers the schemas of the files the app reads (catalogues, install records) share with it.
 * Every failure says what the field must be ("must be an id ..."); the caller puts the field's
 * name (fieldName) before it.
 */
import { z } from 'zod';
import { MODEL_UPLOAD_EXTENSIONS } from './contract.ts';
import { DOOR_LIMITS, isModelUploadPath } from './door-limits.ts';
import type { Range } from './limits.ts';

/** Opaque ids only: letters, digits, '-' and '_'; so no separator, dot, NUL or URL syntax. */
const ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

/** Path separators and control characters: a photo's name is shown, never used as a path. */
function hasForbiddenCharacter(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i);
    if (code < 0x20 || code === 0x7f || name[i] === '/' || name[i] === '\\') return true;
  }
  return false;
}

/** A JSON object, or one like it: not null, an array or a class instance. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** Ends the check of this value: nothing inside it is looked at. */
function refuse(ctx: z.RefinementCtx, message: string, path: string[] = []): typeof z.NEVER {
  ctx.addIssue({ code: z.ZodIssueCode.custom, message, path, fatal: true });
  return z.NEVER;
}

/** 'params.photos[0].name' for zod's path, after `root` where one is given. */
export function fieldName(path: readonly (string | number)[], root = ''): string {
  return path.reduce<string>(
    (name, key) =>
      typeof key === 'number' ? `${name}[${key}]` : name === '' ? key : `${name}.${key}`,
    root,
  );
}

/** A value as a message shows it: its JSON, or "nothing" where it is missing. */
export function shown(value: unknown): string {
  return JSON.stringify(value) ?? 'nothing';
}

/**
 * A value `check` accepts, else `explain`'s message for it. Fatal, so an object's refinements
 * (how its fields go together) only ever see fields that passed.
 */
export function checked<T>(
  check: (value: unknown) => boolean,
  explain: string | ((value: unknown) => string),
) {
  return z.custom<T>(check, (value) => ({
    message: typeof explain === 'string' ? explain : explain(value),
    fatal: true,
  }));
}

export const boolean = z.boolean({ message: 'must be true or false' });

export function integer({ min, max }: Range) {
  const message = `must be a whole number from ${min} to ${max}`;
  return z.number({ message }).int(message).min(min, message).max(max, message);
}

export function oneOf<const T extends readonly (string | number)[]>(values: T) {
  return z.custom<T[number]>(
    (value) => values.includes(value as T[number]),
    `must be one of ${values.join(', ')}`,
  );
}

const ID = "must be an id (1-128 letters, digits, '-' or '_')";
export const id = z.string({ message: ID }).regex(ID_PATTERN, ID);

const FILE_NAME = `must be a file name of 1 to ${DOOR_LIMITS.photoName} characters`;
export const fileName = z
  .string({ message: FILE_NAME })
  .min(1, FILE_NAME)
  .max(DOOR_LIMITS.photoName, FILE_NAME)
  .refine(
    (name) => !hasForbiddenCharacter(name) && name !== '.' && name !== '..',
    'must be a file name, without path separators or control characters',
  );

export function bytes(max: number) {
  // Not z.instanceof, whose type wants the bytes over an ArrayBuffer: a Buffer's type does not.
  return z
    .custom<Uint8Array>((value) => value instanceof Uint8Array, 'must be bytes (a Uint8Array)')
    .refine(
      (value) => value.byteLength <= max,
      `must be at most ${Math.round(max / 1024 / 1024)} MB`,
    );
}

const UPLOAD_PATH = `must be a relative path of up to ${DOOR_LIMITS.modelUploadDepth} names (letters, digits, '.', '_', '-'; none starting with '.') ending in ${MODEL_UPLOAD_EXTENSIONS.join(', ')}`;
export const uploadPath = z.string({ message: UPLOAD_PATH }).refine(isModelUploadPath, UPLOAD_PATH);

/**
 * A list of `min` to `max` items. Its length is checked before zod copies it item by item: a
 * sparse list (IPC keeps them) may claim 2^32 - 1 items, and its holes are checked (and refused)
 * as items like any other.
 */
export function list<T extends z.ZodTypeAny>(item: T, { min, max }: Range) {
  return z.preprocess((value, ctx) => {
    if (!Array.isArray(value) || Object.getPrototypeOf(value) !== Array.prototype) {
      return refuse(ctx, 'must be a list');
    }
    if (value.length < min || value.length > max) {
      return refuse(ctx, `must hold ${min} to ${max} items, not ${value.length}`);
    }
    return value;
  }, z.array(item));
}

/**
 * A plain object with exactly these fields, rebuilt from the checked values so nothing the caller
 * attached travels further. `.strict()` refuses an extra field it can see; the keys it cannot
 * (symbols, non-enumerable ones) are refused first.
 */
export function object<S extends z.ZodRawShape>(shape: S) {
  const keys = Object.keys(shape);
  const optional = new Set(keys.filter((key) => shape[key]?.isOptional()));
  const required = keys.filter((key) => !optional.has(key));
  return z.preprocess((value, ctx) => {
    if (!isPlainObject(value)) return refuse(ctx, 'must be a plain object');
    const hidden = Reflect.ownKeys(value).find(
      (key) => typeof key === 'symbol' || !Object.prototype.propertyIsEnumerable.call(value, key),
    );
    if (hidden !== undefined) {
      ctx.addIssue({ code: z.ZodIssueCode.unrecognized_keys, keys: [String(hidden)], fatal: true });
      return z.NEVER;
    }
    const missing = required.find((key) => !Object.hasOwn(value, key));
    if (missing !== undefined) return refuse(ctx, 'is missing', [missing]);
    // An optional field sent as undefined was not sent: IPC keeps such a key where JSON drops it.
    return Object.fromEntries(
      Object.entries(value).filter(([key, field]) => field !== undefined || !optional.has(key)),
    );
  }, z.object(shape).strict());
}

/**
 * Exactly one of two shapes, told apart by whether the value has `key`, so the page hears about
 * the shape it sent (z.union would report both shapes' faults).
 */
export function either<A extends z.ZodTypeAny, B extends z.ZodTypeAny>(key: string, a: A, b: B) {
  return z.unknown().transform((value, ctx): z.output<A> | z.output<B> => {
    const chosen = isPlainObject(value) && Object.hasOwn(value, key) ? a : b;
    const parsed = chosen.safeParse(value);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) ctx.addIssue(issue);
    return z.NEVER;
  });
}
