/**
 * Every failure the model manager reports. Codes are stable (the api, the CLI and the model screen
 * branch on them); the message is one line that names the file, URL or id at fault. Failures of
 * the engine's validator arrive as its own EngineError, passed through untouched.
 */
export type ModelErrorCode =
  | 'NO_MODEL_INSTALLED'
  | 'MODEL_NOT_INSTALLED'
  | 'ALREADY_INSTALLED'
  | 'UNKNOWN_MODEL'
  | 'CATALOG_INVALID'
  | 'MANIFEST_INVALID'
  | 'OFFLINE'
  | 'NOT_FOUND'
  | 'HTTP_ERROR'
  | 'DOWNLOAD_INTERRUPTED'
  | 'HASH_MISMATCH'
  | 'DISK_FULL'
  | 'BUSY'
  | 'ABORTED'
  | 'IMPORT_UNSUPPORTED'
  | 'QUANTIZE_UNSUPPORTED'
  | 'VERIFY_FAILED';

export class ModelError extends Error {
  override readonly name = 'ModelError';
  constructor(
    readonly code: ModelErrorCode,
    message: string,
    /** The file, URL or model id the message names. */
    readonly subject?: string,
  ) {
    super(message);
  }
}

export function isModelError(value: unknown): value is ModelError {
  return value instanceof ModelError;
}

export function errnoCode(error: unknown): string {
  return (error as NodeJS.ErrnoException | undefined)?.code ?? '';
}

/** A failed import's error as the user should read it: a full disk and a cancel by name. */
export function importFailure(error: unknown, source: string): unknown {
  if (errnoCode(error) === 'ENOSPC') {
    return new ModelError('DISK_FULL', `the disk is full while importing ${source}`, source);
  }
  if ((error as Error | undefined)?.name === 'AbortError') {
    return new ModelError('ABORTED', 'import cancelled', source);
  }
  return error;
}
