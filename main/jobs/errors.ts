import type { PhotoVerdict } from '../intake/verdicts.ts';

export type JobErrorCode = 'PHOTOS_REFUSED' | 'BAD_REQUEST';

/** A run that cannot start; PHOTOS_REFUSED carries every photo's verdict, none dropped. */
export class JobError extends Error {
  override readonly name = 'JobError';
  constructor(
    readonly code: JobErrorCode,
    message: string,
    readonly verdicts: readonly PhotoVerdict[] = [],
  ) {
    super(message);
  }
}
