/**
 * Every failure crosses the api as an ApiError, mapped here and nowhere else. A typed error keeps
 * its human message (it names the photo, style, model file or run at fault); anything else is a
 * bug, so the page gets a generic message and stderr gets the detail.
 */
import { ApiError, type ApiErrorCode } from '../api/contract.ts';
import { EngineError, type EngineErrorCode } from '../engine/errors.ts';
import { BoundedReadError } from '../files/read-bounded.ts';
import { ModelConfigError } from '../graphs/config-reader.ts';
import { JobError, type JobErrorCode } from '../jobs/errors.ts';
import { ModelError, type ModelErrorCode } from '../models/errors.ts';
import { StoreError, type StoreErrorCode } from '../store/index.ts';
import { StyleError, type StyleErrorCode } from '../styles/errors.ts';
import { SafetensorsError } from '../weights/safetensors.ts';
import { toApiVerdict } from './photos.ts';

const STORE: Record<StoreErrorCode, ApiErrorCode> = {
  QUOTA_EXCEEDED: 'QUOTA_EXCEEDED',
  DATABASE_CORRUPT: 'STORAGE',
  DATABASE_TOO_NEW: 'STORAGE',
  DATA_FOLDER_READ_ONLY: 'STORAGE',
  DISK_FULL: 'STORAGE',
  IO_FAILED: 'STORAGE',
  RUN_NOT_FOUND: 'NOT_FOUND',
  RUN_NOT_ACTIVE: 'NOT_FOUND',
  FILE_NOT_FOUND: 'NOT_FOUND',
  // A file whose key is gone (a previous session's): as good as deleted.
  FILE_UNREADABLE: 'NOT_FOUND',
  BAD_ARGUMENT: 'BAD_REQUEST',
};

const JOB: Record<JobErrorCode, ApiErrorCode> = {
  PHOTOS_REFUSED: 'PHOTOS_REFUSED',
  BAD_REQUEST: 'BAD_REQUEST',
};

const MODEL: Record<ModelErrorCode, ApiErrorCode> = {
  NO_MODEL_INSTALLED: 'NO_MODEL',
  MODEL_NOT_INSTALLED: 'NOT_FOUND',
  UNKNOWN_MODEL: 'NOT_FOUND',
  MANIFEST_INVALID: 'MODEL_INVALID',
  VERIFY_FAILED: 'MODEL_INVALID',
  HASH_MISMATCH: 'MODEL_INVALID',
  IMPORT_UNSUPPORTED: 'MODEL_INVALID',
  QUANTIZE_UNSUPPORTED: 'MODEL_INVALID',
  DISK_FULL: 'STORAGE',
  ALREADY_INSTALLED: 'BAD_REQUEST',
  // The catalogue ships with the app: a broken one is a build fault, its message names the field.
  CATALOG_INVALID: 'INTERNAL',
  OFFLINE: 'DOWNLOAD_FAILED',
  NOT_FOUND: 'DOWNLOAD_FAILED',
  HTTP_ERROR: 'DOWNLOAD_FAILED',
  DOWNLOAD_INTERRUPTED: 'DOWNLOAD_FAILED',
  // Another process installing the same model.
  BUSY: 'MODEL_JOB_IN_PROGRESS',
  ABORTED: 'CANCELLED',
};

const ENGINE: Record<EngineErrorCode, ApiErrorCode> = {
  MODEL_FOLDER_INVALID: 'MODEL_INVALID',
  MODEL_FILE_MISSING: 'MODEL_INVALID',
  MODEL_FILE_CORRUPT: 'MODEL_INVALID',
  MODEL_IO_MISMATCH: 'MODEL_INVALID',
  TOKENIZER_INVALID: 'MODEL_INVALID',
  TOKENIZER_MISMATCH: 'MODEL_INVALID',
  CONFIG_INVALID: 'MODEL_INVALID',
  PROVIDER_UNAVAILABLE: 'MODEL_INVALID',
  // A style's LoRA that does not fit the model: its message says which and why.
  LORA_REFUSED: 'MODEL_INVALID',
  BAD_ARGUMENT: 'BAD_REQUEST',
  IMAGE_UNREADABLE: 'BAD_REQUEST',
  // A run handles its own cancel; one that escapes is a bug.
  ABORTED: 'INTERNAL',
};

const STYLE: Record<StyleErrorCode, ApiErrorCode> = {
  UNKNOWN_STYLE: 'BAD_REQUEST',
  TOO_MANY_STYLES: 'BAD_REQUEST',
  NO_STYLE: 'BAD_REQUEST',
  DUPLICATE_STYLE: 'BAD_REQUEST',
  // A broken catalogue is a build fault; its message names the entry to fix.
  STYLE_CATALOG_INVALID: 'INTERNAL',
};

export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof StoreError) {
    return new ApiError(
      STORE[error.code],
      error.message,
      error.nextAllowedAt === undefined ? {} : { nextAllowedAt: error.nextAllowedAt },
    );
  }
  if (error instanceof JobError) {
    return new ApiError(
      JOB[error.code],
      error.message,
      error.verdicts.length > 0 ? { verdicts: error.verdicts.map(toApiVerdict) } : {},
    );
  }
  if (error instanceof ModelError) return new ApiError(MODEL[error.code], error.message);
  if (error instanceof EngineError) return new ApiError(ENGINE[error.code], error.message);
  if (error instanceof StyleError) return new ApiError(STYLE[error.code], error.message);
  // A model file the user added that is not what it claims to be: the message names it and why.
  if (
    error instanceof SafetensorsError ||
    error instanceof ModelConfigError ||
    error instanceof BoundedReadError
  ) {
    return new ApiError('MODEL_INVALID', error.message);
  }
  console.error('avatar studio: unexpected error', error);
  return new ApiError(
    'INTERNAL',
    'Something went wrong inside Avatar Studio; the details are in its log.',
  );
}
