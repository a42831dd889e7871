/**
 * The door's own bounds, and the rule for an uploaded model's file paths. Imports neither Node nor
 * zod: the loopback host's page checks the paths it picked by the same rule.
 */
import { MODEL_UPLOAD_EXTENSIONS } from './contract.ts';
import { LIMITS } from './limits.ts';

/**
 * Bounds on the work a request can ask for, beyond the product's LIMITS. The bytes are already in
 * memory when they reach the door (the host bounds the transfer); these keep intake and the engine
 * from being handed more.
 */
export const DOOR_LIMITS = {
  /** Intake refuses more than LIMITS.photos.max by name; past this the request itself is refused. */
  photos: 50,
  /** Intake refuses a photo over 30 MB by name; past this the request itself is refused. */
  photoBytes: 64 * 1024 * 1024,
  photoName: 255,
  /** Avatar ids one export may name: a run's worth. */
  avatars: LIMITS.avatars.max,
  /** A diffusers folder holds about 15 files (SDXL's about 25). */
  modelUploadFiles: 64,
  /** One file of an uploaded model: a full fp32 SDXL checkpoint is about 7 GB. */
  modelUploadFileBytes: 32 * 1024 ** 3,
  modelUploadPath: 255,
  /** Folders deep a file of an uploaded model may be: 'tokenizer/vocab.json' is 2. */
  modelUploadDepth: 4,
} as const;

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
