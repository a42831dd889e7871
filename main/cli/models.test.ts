import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { fixtureModel } from '../../scripts/fixtures/cache.ts';
import { REFERENCE_DIR } from '../testing/graphs/reference.ts';
import { serveFolder, writeCatalogFor } from '../testing/model-server.ts';
import { tempDataDir } from '../testing/store.ts';
import { models } from '../testing/cli.ts';

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
  assert.match(installed.stdout, /^licence: MIT\n/);
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

test('install of a diffusers entry: the licences first, then the download, then the build', async (t) => {
  const dataDir = tempDataDir(t);
  const server = await serveFolder(REFERENCE_DIR);
  t.after(() => server.close());
  const catalog = path.join(dataDir, 'catalog.json');
  await writeCatalogFor(
    catalog,
    'built',
    path.join(REFERENCE_DIR, 'sd2-tiny', 'diffusers'),
    `${server.baseUrl}sd2-tiny/diffusers/`,
    {
      format: 'diffusers',
      addon: {
        dir: path.join(REFERENCE_DIR, 'taesd-tiny', 'taesd'),
        baseUrl: `${server.baseUrl}taesd-tiny/taesd/`,
      },
    },
  );
  const installed = await models(dataDir, 'install', 'built', '--catalog', catalog);
  assert.equal(installed.code, 0, installed.stderr);
  assert.match(
    installed.stdout,
    /^licence: MIT\nlicence of Fixture built TAESD, installed with it: MIT\ninstalled built \([\d.]+ (KB|MB), fp32\)\n$/,
  );
  assert.match(
    installed.stderr,
    /100\.0% [^]*building unet \(2\/6[^]*building taesd_decoder \(6\/6/,
  );
});

test('import refuses a broken folder with one line naming the file', async (t) => {
  const dataDir = tempDataDir(t);
  const result = await models(dataDir, 'import', path.join(dataDir, 'nowhere'));
  assert.equal(result.code, 1);
  assert.match(result.stderr, /^error: .*nowhere is not a model folder \(no such directory\)$/);
});

test('an fp16 export: import --precision int8 quantizes it, reporting error and speed against fp16', async (t) => {
  const dataDir = tempDataDir(t);
  const result = await models(
    dataDir,
    'import',
    await fixtureModel('turbo-fp16'),
    '--precision',
    'int8',
    '--latent-size',
    '8',
    '--runs',
    '1',
  );
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^imported turbo-fp16 \(turbo, fp16, /m);
  assert.match(result.stdout, /made turbo-fp16-int8/);
  assert.match(
    result.stdout,
    /unet \(8x8 latents\): relative error \d\.\d\de-\d+, [\d.]+ ms fp16 vs/,
  );
  assert.match(result.stdout, /speed ratio fp16\/int8: \d+\.\d\d/);

  const upcast = await models(
    dataDir,
    'import',
    await fixtureModel('turbo-fp16'),
    '--precision',
    'fp32',
    '--id',
    'turbo-fp32',
    '--json',
  );
  assert.equal(upcast.code, 0, upcast.stderr);
  const imported = JSON.parse(upcast.stdout) as {
    id: string;
    precision: string;
    changed: unknown[];
  };
  assert.deepEqual(
    [imported.id, imported.precision, imported.changed.length],
    ['turbo-fp32', 'fp32', 4],
  );
  const wrong = await models(dataDir, 'import', await fixtureModel('turbo'), '--precision', 'fp8');
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /--precision must be one of fp32, fp16, int8/);
});
