import type { LoraRequest } from '../engine/types.ts';

/** A mistake in the command line: reported with the usage text. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * Runs a CLI's main and turns any failure into a one-line reason on stderr and a non-zero exit,
 * the contract every command of this project keeps.
 */
export function runCli(main: (argv: string[]) => Promise<void>, usage: string): void {
  main(process.argv.slice(2)).then(
    () => process.exit(0),
    (error: unknown) => {
      const message = (error instanceof Error ? error.message : String(error)).split('\n')[0];
      console.error(`error: ${message}`);
      if (error instanceof UsageError || isParseArgsError(error)) console.error(usage);
      process.exit(error instanceof UsageError || isParseArgsError(error) ? 2 : 1);
    },
  );
}

function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}

export function required(value: string | undefined, flag: string): string {
  if (value === undefined || value === '') throw new UsageError(`${flag} is required`);
  return value;
}

export function number(value: string, flag: string): number {
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed))
    throw new UsageError(`${flag} must be a number, got '${value}'`);
  return parsed;
}

export function integer(value: string, flag: string): number {
  const parsed = number(value, flag);
  if (!Number.isSafeInteger(parsed))
    throw new UsageError(`${flag} must be an integer, got '${value}'`);
  return parsed;
}

export function oneOf<T extends string>(value: string, choices: readonly T[], flag: string): T {
  if (!(choices as readonly string[]).includes(value)) {
    throw new UsageError(`${flag} must be one of ${choices.join(', ')}, got '${value}'`);
  }
  return value as T;
}

/**
 * `--lora FILE[:SCALE]`, repeatable; the scale defaults to 1. Only a number after the last colon
 * is a scale, so a Windows path (C:\loras\clay.safetensors) stays whole.
 */
export function loraOptions(values: readonly string[] | undefined): LoraRequest[] {
  return (values ?? []).map((value) => {
    const colon = value.lastIndexOf(':');
    const suffix = colon > 0 ? value.slice(colon + 1) : '';
    const isScale = suffix !== '' && !/[\\/]/.test(suffix) && /^[-+.\d]/.test(suffix);
    const file = isScale ? value.slice(0, colon) : value;
    if (file === '') throw new UsageError(`--lora needs a file, got "${value}"`);
    return { file, scale: isScale ? number(suffix, '--lora scale') : 1 };
  });
}
