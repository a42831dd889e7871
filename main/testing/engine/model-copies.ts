import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { fixtureModel } from '../../../scripts/fixtures/cache.ts';
import type { FixtureVariant } from '../../../scripts/fixtures/variants.ts';

/**
 * A private copy of a fixture model folder for a test to damage; removed when the test file ends.
 */
export async function copyOfFixture(variant: FixtureVariant): Promise<string> {
  const parent = await mkdtemp(path.join(tmpdir(), `avatar-model-${variant}-`));
  after(() => rm(parent, { recursive: true, force: true }));
  const dir = path.join(parent, variant);
  await cp(await fixtureModel(variant), dir, { recursive: true });
  return dir;
}
