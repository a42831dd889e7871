/**
 * What the store holds and when it goes, from a terminal:
 *   npm run privacy -- status [--json]     sweep, then list runs still on disk with countdowns
 *   npm run privacy -- delete-now [RUN_ID] delete one run, or all, at once
 * Uses the same data folder as the app (AVATAR_STUDIO_DATA, else the per-user app data folder).
 * On error: exit code 1 (2 for bad usage) and one line on stderr.
 */
import { type RunOnDisk, type Store, openStore } from '../store/index.ts';

const USAGE = 'usage: npm run privacy -- status [--json] | delete-now [RUN_ID]';

class UsageError extends Error {}

function formatSeconds(seconds: number): string {
  const minutes = Math.floor(seconds / 60);
  return minutes > 0 ? `${minutes} min ${seconds % 60} s` : `${seconds} s`;
}

function describe(run: RunOnDisk): string {
  const files = `${run.uploads} uploads, ${run.avatars} avatars, ${run.previews} previews`;
  const when =
    run.secondsUntilDeletion === null
      ? 'deleted after the run ends'
      : `deleted in ${formatSeconds(run.secondsUntilDeletion)}`;
  return `${run.id}  ${run.status}  ${files}  ${when}`;
}

function status(store: Store, args: string[]): string {
  const json = args[0] === '--json';
  if (args.length > (json ? 1 : 0)) throw new UsageError(`unexpected argument ${args.at(-1)}`);
  const runs = store.countdown();
  if (json) return JSON.stringify({ runs }, null, 2);
  return runs.length === 0 ? 'No runs on disk.' : runs.map(describe).join('\n');
}

function deleteNow(store: Store, args: string[]): string {
  if (args.length > 1) throw new UsageError(`unexpected argument ${args[1]}`);
  const { runs, files } = store.deleteNow(args[0]);
  return `Deleted ${files} file${files === 1 ? '' : 's'} of ${runs} run${runs === 1 ? '' : 's'}.`;
}

const COMMANDS: Record<string, (store: Store, args: string[]) => string> = {
  status,
  'delete-now': deleteNow,
};

/** Runs one command; returns the exit code. */
export function main(argv: string[]): number {
  const [command = '', ...args] = argv;
  const run = COMMANDS[command];
  if (!run) {
    console.error(command ? `privacy: unknown command ${command}; ${USAGE}` : USAGE);
    return 2;
  }
  let store: Store | undefined;
  try {
    // Opening sweeps first: what is due is gone before anything is listed or counted.
    store = openStore({ sweepOnTimer: false });
    console.log(run(store, args));
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    console.error(
      `privacy: ${message.replaceAll('\n', ' ')}${error instanceof UsageError ? `; ${USAGE}` : ''}`,
    );
    return error instanceof UsageError ? 2 : 1;
  } finally {
    store?.close();
  }
}

process.exitCode = main(process.argv.slice(2));
