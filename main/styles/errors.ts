export type StyleErrorCode =
  'STYLE_CATALOG_INVALID' | 'UNKNOWN_STYLE' | 'TOO_MANY_STYLES' | 'NO_STYLE' | 'DUPLICATE_STYLE';

/** Which input is at fault: a catalogue entry and its field, or a requested id. */
export interface StyleErrorSubject {
  /** The style's id (or `#index` when the entry has no usable id). */
  style?: string;
  /** The field's path inside the entry, e.g. `settings.lcm.steps`. */
  field?: string;
  /** The catalogue file. */
  file?: string;
}

/**
 * A style failure. Codes are stable (the api branches on them); the subject names what is at
 * fault, so a broken catalogue says which entry to fix and a bad request which id to drop.
 */
export class StyleError extends Error {
  override readonly name = 'StyleError';
  readonly style: string | undefined;
  readonly field: string | undefined;
  readonly file: string | undefined;

  constructor(
    readonly code: StyleErrorCode,
    message: string,
    subject: StyleErrorSubject = {},
  ) {
    super(message);
    this.style = subject.style;
    this.field = subject.field;
    this.file = subject.file;
  }
}

export function isStyleError(value: unknown): value is StyleError {
  return value instanceof StyleError;
}
