/**
 * The door: every request from the page passes here before a handler sees it, on both hosts.
 * The renderer is untrusted, so a request is rebuilt from what the contract allows (never passed
 * through): an unknown method, a field of the wrong type, an extra field, a number out of range or
 * an id that could be a path is refused with BAD_REQUEST naming the field.
 *
 * Product rules that deserve a better message stay with the code that owns them: intake names a
 * photo that is too large or one too many, the style catalogue names an unknown style.
 */
import {
  ApiError,
  EXPORT_FORMATS,
  EXPORT_SIZES,
  MODEL_UPLOAD_EXTENSIONS,
  type ApiHandlers,
  type ApiMethod,
  type ImageRef,
  type Params,
} from './contract.ts';

/** A request that passed the door: its method and its params agree. */
export type ValidRequest = { [M in ApiMethod]: { method: M; params: Params<M> } }[ApiMethod];

/**
 * Bounds on the work a request can ask for. The bytes are already in memory when they reach the
 * door (the host bounds the transfer); these keep intake and the engine from being handed more.
 */
export const DOOR_LIMITS = {
  /** Intake refuses more than 10 by name; past this the request itself is refused. */
  photos: 50,
  /** Intake refuses a photo over 30 MB by name; past this the request itself is refused. */
  photoBytes: 64 * 1024 * 1024,
  photoName: 255,
  styles: 5,
  avatars: 30,
  retentionSeconds: 86_400,
  dailyRunLimit: 1000,
  /** A diffusers folder holds about 15 files (SDXL's about 25). */
  modelUploadFiles: 64,
  /** One file of an uploaded model: a full fp32 SDXL checkpoint is about 7 GB. */
  modelUploadFileBytes: 32 * 1024 ** 3,
  modelUploadPath: 255,
  /** Folders deep a file of an uploaded model may be: 'tokenizer/vocab.json' is 2. */
  modelUploadDepth: 4,
} as const;

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

/** A folder or file name in an uploaded model: starts with a letter, digit or '_', never a dot. */
const UPLOAD_SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

/**
 * A relative path inside an uploaded model, checked before anything is written there: 1-4 names
 * of letters, digits, '.', '_' and '-' (so no '..', no hidden file, no absolute path, no
 * backslash, NUL or %-escape) joined by '/', ending in one of MODEL_UPLOAD_EXTENSIONS. The page's
 * picker keeps only such files; the host writes nothing else.
 */
export function isModelUploadPath(value: unknown): value is string {
  if (typeof value !== 'string' || value.length > DOOR_LIMITS.modelUploadPath) return false;
  const segments = value.split('/');
  return (
    segments.length <= DOOR_LIMITS.modelUploadDepth &&
    segments.every((segment) => UPLOAD_SEGMENT.test(segment)) &&
    MODEL_UPLOAD_EXTENSIONS.some((extension) => value.endsWith(extension))
  );
}

type Check<T> = (value: unknown, field: string) => T;
type Shape = Record<string, Check<unknown>>;
type Checked<S extends Shape> = { [K in keyof S]: ReturnType<S[K]> };

function refuse(field: string, problem: string): never {
  throw new ApiError('BAD_REQUEST', `${field} ${problem}`);
}

const boolean: Check<boolean> = (value, field) =>
  typeof value === 'boolean' ? value : refuse(field, 'must be true or false');

function integer(min: number, max: number): Check<number> {
  return (value, field) =>
    typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max
      ? value
      : refuse(field, `must be a whole number from ${min} to ${max}`);
}

function oneOf<const T extends readonly (string | number)[]>(values: T): Check<T[number]> {
  return (value, field) =>
    values.includes(value as T[number])
      ? (value as T[number])
      : refuse(field, `must be one of ${values.join(', ')}`);
}

const id: Check<string> = (value, field) =>
  typeof value === 'string' && ID_PATTERN.test(value)
    ? value
    : refuse(field, "must be an id (1-128 letters, digits, '-' or '_')");

const fileName: Check<string> = (value, field) => {
  if (typeof value !== 'string' || value.length === 0 || value.length > DOOR_LIMITS.photoName) {
    return refuse(field, `must be a file name of 1 to ${DOOR_LIMITS.photoName} characters`);
  }
  if (hasForbiddenCharacter(value) || value === '.' || value === '..') {
    return refuse(field, 'must be a file name, without path separators or control characters');
  }
  return value;
};

function bytes(max: number): Check<Uint8Array> {
  return (value, field) => {
    if (!(value instanceof Uint8Array)) return refuse(field, 'must be bytes (a Uint8Array)');
    if (value.byteLength > max) {
      return refuse(field, `must be at most ${Math.round(max / 1024 / 1024)} MB`);
    }
    return value;
  };
}

function arrayOf<T>(item: Check<T>, min: number, max: number): Check<T[]> {
  return (value, field) => {
    if (!Array.isArray(value) || Object.getPrototypeOf(value) !== Array.prototype) {
      return refuse(field, 'must be a list');
    }
    if (value.length < min || value.length > max) {
      return refuse(field, `must hold ${min} to ${max} items, not ${value.length}`);
    }
    // Index by index, so a sparse list's holes are checked (and refused) like any other item.
    return Array.from({ length: value.length }, (_, i) => item(value[i], `${field}[${i}]`));
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * A plain object with exactly these fields (the optional ones may be absent or undefined). Own
 * keys are compared, symbols and `__proto__` included, and a fresh object is built from the
 * checked values, so nothing the caller attached travels further.
 */
function object<R extends Shape, O extends Shape = Record<never, never>>(
  required: R,
  optional?: O,
): Check<Checked<R> & Partial<Checked<O>>> {
  return (value, field) => {
    if (!isPlainObject(value)) return refuse(field, 'must be a plain object');
    const known = (key: string | symbol): key is string =>
      typeof key === 'string' &&
      (Object.hasOwn(required, key) || (optional !== undefined && Object.hasOwn(optional, key)));
    const unknown = Reflect.ownKeys(value).find((key) => !known(key));
    if (unknown !== undefined) {
      refuse(`${field}.${String(unknown)}`, 'is not a field of this request');
    }
    const out: Record<string, unknown> = {};
    for (const [key, check] of Object.entries(required)) {
      if (!Object.hasOwn(value, key)) refuse(`${field}.${key}`, 'is missing');
      out[key] = check(value[key], `${field}.${key}`);
    }
    for (const [key, check] of Object.entries(optional ?? {})) {
      if (Object.hasOwn(value, key) && value[key] !== undefined) {
        out[key] = check(value[key], `${field}.${key}`);
      }
    }
    return out as Checked<R> & Partial<Checked<O>>;
  };
}

const uploadPath: Check<string> = (value, field) =>
  isModelUploadPath(value)
    ? value
    : refuse(
        field,
        `must be a relative path of up to ${DOOR_LIMITS.modelUploadDepth} names (letters, digits, '.', '_', '-'; none starting with '.') ending in ${MODEL_UPLOAD_EXTENSIONS.join(', ')}`,
      );

/** Exactly one of the shapes, told apart by which of their keys the value has. */
function either<A, B>(keyA: string, checkA: Check<A>, checkB: Check<B>): Check<A | B> {
  return (value, field) =>
    isPlainObject(value) && Object.hasOwn(value, keyA)
      ? checkA(value, field)
      : checkB(value, field);
}

const none = object({});
const photos = arrayOf(
  object({ name: fileName, bytes: bytes(DOOR_LIMITS.photoBytes) }),
  0,
  DOOR_LIMITS.photos,
);

/** Every method's params, as the contract types them; the compiler holds the two together. */
const PARAMS: { readonly [M in ApiMethod]: Check<Params<M>> } = {
  'app:status': none,
  'photos:check': object({ photos }),
  'styles:list': none,
  'runs:start': object({
    photos,
    styleIds: arrayOf(id, 1, DOOR_LIMITS.styles),
    count: integer(1, DOOR_LIMITS.avatars),
  }),
  'runs:cancel': object({ runId: id }),
  'runs:list': none,
  'runs:avatars': object({ runId: id }),
  'runs:deleteNow': object({}, { runId: id }),
  'export:avatars': object({
    avatarIds: arrayOf(id, 1, DOOR_LIMITS.avatars),
    size: oneOf(EXPORT_SIZES),
    format: oneOf(EXPORT_FORMATS),
    circle: boolean,
  }),
  'settings:update': object(
    {},
    {
      retentionSeconds: integer(0, DOOR_LIMITS.retentionSeconds),
      instantMode: boolean,
      dailyRunLimit: integer(1, DOOR_LIMITS.dailyRunLimit),
    },
  ),
  'models:list': none,
  'models:setDefault': object({ id }),
  'models:catalog': none,
  'models:install': object({ id }),
  'models:add': either(
    'pick',
    object({ pick: oneOf(['file', 'folder'] as const) }),
    object({
      upload: object({
        name: fileName,
        kind: oneOf(['checkpoint', 'folder'] as const),
        files: arrayOf(
          object({ path: uploadPath, bytes: integer(0, DOOR_LIMITS.modelUploadFileBytes) }),
          1,
          DOOR_LIMITS.modelUploadFiles,
        ),
      }),
    }),
  ),
  'models:cancel': object({ jobId: id }),
};

function isMethod(value: unknown): value is ApiMethod {
  return typeof value === 'string' && Object.hasOwn(PARAMS, value);
}

/** The request rebuilt from what the contract allows; ApiError BAD_REQUEST naming the field. */
export function validateRequest(method: unknown, params: unknown): ValidRequest {
  if (!isMethod(method)) {
    const shown =
      typeof method === 'string' ? JSON.stringify(method.slice(0, 60)) : `(a ${typeof method})`;
    throw new ApiError('BAD_REQUEST', `unknown method ${shown}`);
  }
  const check = PARAMS[method] as Check<unknown>;
  return { method, params: check(params, 'params') } as ValidRequest;
}

/** What both hosts do with a request: validate it, then call the one handler it names. */
export async function handleRequest(
  handlers: ApiHandlers,
  method: unknown,
  params: unknown,
): Promise<unknown> {
  const request = validateRequest(method, params);
  // The compiler cannot pair a union's method with its params; validateRequest did.
  const handler = handlers[request.method] as (params: unknown) => Promise<unknown>;
  return handler(request.params);
}

const imageRef = object({ kind: oneOf(['avatar', 'style'] as const), id });

const uploadTarget = object({ jobId: id, path: uploadPath });

/** An upload URL's parts (a model file the page streams), checked like any request. */
export function validateUploadTarget(value: unknown): { jobId: string; path: string } {
  return uploadTarget(value, 'upload');
}

/** An image URL's parts, checked like any request: ids only, never a path. */
export function validateImageRef(value: unknown): ImageRef {
  return imageRef(value, 'image');
}
