/**
 * Serves the app on 127.0.0.1 and prints the one address that opens it; stops on Ctrl+C. Builds
 * the UI first when it is not built yet (a fresh clone), as `npm start` does.
 *   tsx main/host/cli.ts [--model DIR|ID] [--port N]
 * The data folder is AVATAR_STUDIO_DATA (else the app's per-user folder).
 */
import { parseArgs } from 'node:util';
import { integer, runCli } from '../cli/run-cli.ts';
import { startAppHost } from './app-host.ts';
import { ensureRendererBuilt } from './build-renderer.ts';

const USAGE = 'usage: tsx main/host/cli.ts [--model DIR|ID] [--port N]';

runCli(async (argv) => {
  const { values } = parseArgs({
    args: argv,
    options: { model: { type: 'string' }, port: { type: 'string' } },
    strict: true,
  });
  await ensureRendererBuilt(console.log);
  const host = await startAppHost({
    ...(values.model !== undefined && { model: values.model }),
    ...(values.port !== undefined && { port: integer(values.port, '--port') }),
  });
  console.log(`Avatar Studio is serving ${host.url}`);
  console.log('Open it in Chromium or Chrome (it admits only that address); Ctrl+C stops it.');
  await untilSignal();
  await host.close();
}, USAGE);

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}
