import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { fixtureModel } from '../../scripts/fixtures/cache.ts';
import { serveFolder, writeCatalogFor } from '../models/test-server.ts';
import { tempDataDir } from '../store/test-helpers.ts';

const CLI = fileURLToPath(new URL('./models.ts', import.meta.url));

/** Async, so the test's own HTTP server keeps answering while the CLI runs. */
async function models(dataDir: string, ...args: string[]) {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', CLI, ...args],
      { env: { ...process.env, AVATAR_STUDIO_DATA: dataDir } },
    );
    return { code: 0, stdout, stderr: stderr.trim() };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr.trim() };
  }
}

test('list on an empty data folder is an empty list, not an error', async (t) => {
  const dataDir = tempDataDir(t);
  const json = await models(dataDir, 'list', '--json');
  assert.equal(json.code, 0, json.stderr);
  assert.deepEqual(JSON.parse(json.stdout), []);
});

test('install from a catalogue on 127.0.0.1, default, verify, quantize, remove', async (t) => {
  const dataDir = tempDataDir(t);
  const server = await serveFolder(await fixtureModel('turbo'));
  t.after(() => server.close());
  const catalog = path.join(dataDir, 'catalog.json');
  await writeCatalogFor(catalog, 'fixture', await fixtureModel('turbo'), server.baseUrl);

  const installed = await models(dataDir, 'install', 'fixture', '--catalog', catalog);
  assert.equal(installed.code, 0, installed.stderr);
  assert.match(installed.stdout, /^installed fixture \([\d.]+ MB, fp32\)$/m);
  assert.match(installed.stderr, /100\.0% .* of .*ETA/);

  const quantized = await models(
    dataDir,
    'quantize',
    'fixture',
    '--latent-size',
    '8',
    '--runs',
    '1',
  );
  assert.equal(quantized.code, 0, quantized.stderr);
  assert.match(quantized.stdout, /made fixture-int8/);
  assert.match(quantized.stdout, /unet \(8x8 latents\): relative error \d\.\d\de-\d+/);
  assert.match(quantized.stdout, /speed ratio fp32\/int8: \d+\.\d\d/);

  assert.equal((await models(dataDir, 'default', 'fixture')).code, 0);
  const list = await models(dataDir, 'list', '--json');
  const rows = JSON.parse(list.stdout) as {
    id: string;
    family: string;
    precision: string;
    default: boolean;
  }[];
  assert.deepEqual(
    rows.map((r) => [r.id, r.family, r.precision, r.default]),
    [
      ['fixture', 'turbo', 'fp32', true],
      ['fixture-int8', 'turbo', 'int8', false],
    ],
  );

  const verified = await models(dataDir, 'verify', 'fixture-int8');
  assert.equal(verified.code, 0, verified.stderr);
  assert.match(verified.stdout, /fixture-int8: all \d+ files match/);

  const removed = await models(dataDir, 'remove', 'fixture');
  assert.equal(removed.stdout, 'removed fixture\n');
  const missing = await models(dataDir, 'verify', 'fixture');
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, 'error: no installed model "fixture" (installed: fixture-int8)');
});

test('import refuses a broken folder with one line naming the file', async (t) => {
  const dataDir = tempDataDir(t);
  const result = await models(dataDir, 'import', path.join(dataDir, 'nowhere'));
  assert.equal(result.code, 1);
  assert.match(result.stderr, /^error: .*nowhere is not a model folder \(no such directory\)$/);
});
