/**
 * Every failure the store can report. Codes are stable (the api, the CLIs and the UI branch on
 * them); the message is one line a user can act on.
 */
export type StoreErrorCode =
  | 'QUOTA_EXCEEDED'
  | 'DATABASE_CORRUPT'
  | 'DATABASE_TOO_NEW'
  | 'DATA_FOLDER_READ_ONLY'
  | 'DISK_FULL'
  | 'IO_FAILED'
  | 'RUN_NOT_FOUND'
  | 'RUN_NOT_ACTIVE'
  | 'FILE_NOT_FOUND'
  | 'FILE_UNREADABLE'
  | 'BAD_ARGUMENT';

export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    /** QUOTA_EXCEEDED only: epoch ms of the first moment the next run is allowed. */
    readonly nextAllowedAt?: number,
  ) {
    super(message);
  }
}

export function isStoreError(value: unknown): value is StoreError {
  return value instanceof StoreError;
}

/**
 * Turns a failed disk or SQLite operation into the error a user can act on. Node errors carry an
 * errno code (ENOSPC), better-sqlite3 errors an SQLite code (SQLITE_FULL); both are mapped so a
 * full disk reads the same whether the image file or the database hit it first.
 */
export function storeErrorFromIo(error: unknown, doing: string): StoreError {
  if (isStoreError(error)) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const detail = error instanceof Error ? error.message : String(error);
  switch (typeof code === 'string' ? code : '') {
    case 'ENOSPC':
    case 'EDQUOT':
    case 'SQLITE_FULL':
      return new StoreError('DISK_FULL', `The disk is full while ${doing}: free some space.`);
    case 'EROFS':
    case 'EACCES':
    case 'EPERM':
    case 'SQLITE_READONLY':
    case 'SQLITE_READONLY_DIRECTORY':
    case 'SQLITE_CANTOPEN':
      return new StoreError(
        'DATA_FOLDER_READ_ONLY',
        `The data folder cannot be written while ${doing} (${detail}); check its permissions or set AVATAR_STUDIO_DATA.`,
      );
    case 'SQLITE_CORRUPT':
    case 'SQLITE_NOTADB':
      return new StoreError(
        'DATABASE_CORRUPT',
        `The database is damaged (${detail}); it was left untouched: move it aside to start afresh.`,
      );
    default:
      return new StoreError('IO_FAILED', `Failed while ${doing}: ${detail}`);
  }
}
