/* Shared by the CLI tests only. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const MODELS_CLI = fileURLToPath(new URL('./models.ts', import.meta.url));

/**
 * `models …` with its data folder at `dataDir`, stderr trimmed. Async, so the test's own HTTP
 * server keeps answering while the CLI runs.
 */
export async function models(
  dataDir: string,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', MODELS_CLI, ...args],
      { env: { ...process.env, AVATAR_STUDIO_DATA: dataDir } },
    );
    return { code: 0, stdout, stderr: stderr.trim() };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr.trim() };
  }
}
