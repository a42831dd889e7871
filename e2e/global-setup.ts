/**
 * Once per suite: build the UI into dist/renderer (the host serves it) and the turbo fixture
 * model into .cache/fixtures (reused while the fixture code is unchanged).
 */
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { fixtureModel } from '../scripts/fixtures/cache.ts';

export default async function globalSetup(): Promise<void> {
  await build({
    configFile: fileURLToPath(new URL('../renderer/vite.config.ts', import.meta.url)),
    logLevel: 'warn',
  });
  await fixtureModel('turbo');
}
