/* Shared by the CLI tests only. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export interface CliOutcome {
  code: number;
  stdout: string;
  stderr: string;
  /** Set when the run was killed, e.g. for passing `timeoutMs`. */
  signal?: string;
}

/**
 * `models …` with its data folder at `dataDir`, stderr trimmed. Async, so the test's own HTTP
 * server keeps answering while the CLI runs.
 */
export function models(dataDir: string, ...args: string[]): Promise<CliOutcome> {
  return cli('models', dataDir, args);
}

/** `img2img …` (it keeps no data, but resolves installed ids in `dataDir`). */
export function img2img(dataDir: string, ...args: string[]): Promise<CliOutcome> {
  return cli('img2img', dataDir, args);
}

/** `main/cli/NAME.ts …` with its data folder at `dataDir`, stderr trimmed; never throws. */
export async function cli(
  name: string,
  dataDir: string,
  args: string[],
  timeoutMs?: number,
): Promise<CliOutcome> {
  const script = fileURLToPath(new URL(`../cli/${name}.ts`, import.meta.url));
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', script, ...args],
      {
        env: { ...process.env, AVATAR_STUDIO_DATA: dataDir },
        maxBuffer: 16 << 20,
        ...(timeoutMs ? { timeout: timeoutMs } : {}),
      },
    );
    return { code: 0, stdout, stderr: stderr.trim() };
  } catch (error) {
    const failed = error as CliOutcome & { signal?: string | null };
    return {
      code: failed.code,
      stdout: failed.stdout,
      stderr: failed.stderr.trim(),
      ...(failed.signal ? { signal: failed.signal } : {}),
    };
  }
}
