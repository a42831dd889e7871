/**
 * Once per suite: build the UI into dist/renderer (the host serves it) and the turbo fixture
 * model into .cache/fixtures (reused while the fixture code is unchanged).
 */
import { buildRenderer } from '../main/host/build-renderer.ts';
import { fixtureModel } from '../scripts/fixtures/cache.ts';

export default async function globalSetup(): Promise<void> {
  await buildRenderer();
  await fixtureModel('turbo');
}
