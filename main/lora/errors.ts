/**
 * Every failure reading or applying a LoRA file. Codes are stable (the api and the style screen
 * branch on them); the message is one sentence a user can act on, naming the file and, where one
 * tensor is at fault, its key.
 */
export type LoraErrorCode =
  /** Not a safetensors file, or a LoRA with half a layer or an alpha that is no positive number. */
  | 'LORA_UNREADABLE'
  /** A kind of file the app does not apply: SDXL, LyCORIS LoHa/LoKr/DoRA, not a LoRA at all. */
  | 'LORA_UNSUPPORTED'
  /** A layer the model has no branch for. */
  | 'LORA_UNKNOWN_MODULE'
  /** A layer whose matrices do not fit the model's layer (or each other). */
  | 'LORA_SHAPE'
  /** Trained for the other model line (SD 1.x against SD 2.x). */
  | 'LORA_WRONG_BASE';

export class LoraError extends Error {
  override readonly name = 'LoraError';
  constructor(
    readonly code: LoraErrorCode,
    message: string,
    /** The LoRA file at fault. */
    readonly file: string,
  ) {
    super(message);
  }
}

export function isLoraError(value: unknown): value is LoraError {
  return value instanceof LoraError;
}
