/**
 * The app under attack, in a process of its own so that a crash (even a V8 abort no handler can
 * catch) shows as the process ending, not as the test runner dying:
 *   tsx scripts/hostile/serve.ts DATA_DIR MODEL_DIR
 * Prints "ready {port, secret, origin, rendererDir}" once it serves.
 */
import { startAppHost } from '../../main/host/app-host.ts';
import { rendererFixture } from '../../main/testing/host.ts';

const [dataDir, model] = process.argv.slice(2);
const { rendererDir, remove } = await rendererFixture();
const host = await startAppHost({ dataDir, model, size: 64, rendererDir });
const { port, secret, origin } = host;
console.log(`ready ${JSON.stringify({ port, secret, origin, rendererDir })}`);
process.once('SIGTERM', () => {
  void host
    .close()
    .then(remove)
    .finally(() => process.exit(0));
});
