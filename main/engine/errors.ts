/**
 * Every failure the engine can report. Codes are stable (the api and the CLIs branch on them);
 * `file` names the input at fault so a user knows what to replace.
 */
export type EngineErrorCode =
  | 'MODEL_FOLDER_INVALID'
  | 'MODEL_FILE_MISSING'
  | 'MODEL_FILE_CORRUPT'
  | 'MODEL_IO_MISMATCH'
  | 'TOKENIZER_INVALID'
  | 'TOKENIZER_MISMATCH'
  | 'CONFIG_INVALID'
  | 'BAD_ARGUMENT'
  | 'IMAGE_UNREADABLE'
  | 'PROVIDER_UNAVAILABLE'
  | 'LORA_REFUSED'
  | 'ABORTED';

export class EngineError extends Error {
  override readonly name = 'EngineError';
  constructor(
    readonly code: EngineErrorCode,
    message: string,
    readonly file?: string,
  ) {
    super(message);
  }
}

export function isEngineError(value: unknown): value is EngineError {
  return value instanceof EngineError;
}
