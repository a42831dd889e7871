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
