import assert from 'node:assert/strict';
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { fixtureModel } from '../../scripts/fixtures/cache.ts';
import { openStore } from '../store/index.ts';
import { tempDataDir } from '../testing/store.ts';
import { readDefaultModelId, setDefaultModel } from './default-model.ts';
import { importModel } from './import.ts';
import { readManifest, writeManifest } from './manifest.ts';
import { cleanLeftovers, modelsDir } from './registry.ts';
import { resolveModel } from './resolve.ts';

test('with no model installed the answer is a typed error, not a crash', async (t) => {
  const dataDir = tempDataDir(t);
  await assert.rejects(resolveModel({ dataDir }), { code: 'NO_MODEL_INSTALLED' });
});

test('explicit folder, explicit id, default, then the first installed', async (t) => {
  const dataDir = tempDataDir(t);
  const turbo = await fixtureModel('turbo');
  const sd15 = await importModel({ dataDir, source: await fixtureModel('sd15') });
  const lcm = await importModel({ dataDir, source: await fixtureModel('lcm') });

  assert.equal((await resolveModel({ dataDir, explicit: turbo })).dir, turbo);
  assert.equal((await resolveModel({ dataDir, explicit: 'lcm' })).dir, lcm.dir);
  await assert.rejects(resolveModel({ dataDir, explicit: 'nope' }), {
    code: 'MODEL_NOT_INSTALLED',
    message: /nope is neither a model folder nor an installed model \(installed: sd15, lcm\)/,
  });
  assert.equal((await resolveModel({ dataDir })).dir, sd15.dir);
  await setDefaultModel(dataDir, 'lcm');
  assert.equal(readDefaultModelId(dataDir), 'lcm');
  assert.equal((await resolveModel({ dataDir })).dir, lcm.dir);
  // The app passes the setting from its own open store.
  assert.equal((await resolveModel({ dataDir, defaultModelId: 'sd15' })).dir, sd15.dir);
  await assert.rejects(setDefaultModel(dataDir, 'nope'), { code: 'MODEL_NOT_INSTALLED' });
});

test('on CPU an int8 copy measured faster stands in for its original', async (t) => {
  const dataDir = tempDataDir(t);
  const turbo = await importModel({ dataDir, source: await fixtureModel('turbo') });
  const copy = await importModel({ dataDir, source: turbo.dir, id: 'turbo-int8' });
  const report = {
    textEncoderError: 0.01,
    unetError: 0.02,
    textEncoderMs: { fp32: 2, int8: 1 },
    unetMs: { fp32: 2, int8: 1 },
    speedup: 2,
    latentSize: 64,
    runs: 3,
  };
  const asCopy = async (speedup: number) =>
    writeManifest(copy.dir, {
      ...(await readManifest(copy.dir)),
      source: 'quantized',
      precision: 'int8',
      quantizedFrom: 'turbo',
      quantization: { ...report, speedup },
    });

  await asCopy(2);
  const resolved = await resolveModel({ dataDir, defaultModelId: 'turbo' });
  assert.equal(resolved.dir, copy.dir);
  assert.match(resolved.reason, /int8 copy of turbo .* 2\.00x faster/);
  assert.equal(
    (await resolveModel({ dataDir, defaultModelId: 'turbo', provider: 'cuda' })).dir,
    turbo.dir,
  );
  assert.equal((await resolveModel({ dataDir, explicit: 'turbo' })).dir, turbo.dir);
  await asCopy(0.8);
  assert.equal((await resolveModel({ dataDir, defaultModelId: 'turbo' })).dir, turbo.dir);
});

test('the default model setting takes only model ids or null', (t) => {
  const store = openStore({ dataDir: tempDataDir(t), sweepOnTimer: false });
  t.after(() => store.close());
  assert.equal(store.settings().defaultModelId, null);
  assert.equal(store.updateSettings({ defaultModelId: 'sd-turbo' }).defaultModelId, 'sd-turbo');
  for (const bad of ['../etc', 'Has Caps', '', 42]) {
    assert.throws(() => store.updateSettings({ defaultModelId: bad as string }), {
      code: 'BAD_ARGUMENT',
    });
  }
  assert.equal(store.updateSettings({ defaultModelId: null }).defaultModelId, null);
});

test('start-up clean-up removes staging folders of dead processes only', async (t) => {
  const dataDir = tempDataDir(t);
  const dead = `.partial-999999999-${'a'.repeat(8)}`;
  const live = `.partial-${process.pid}-${'b'.repeat(8)}`;
  for (const name of [dead, live, '.download-sd-turbo']) {
    await mkdir(path.join(modelsDir(dataDir), name), { recursive: true });
  }
  assert.deepEqual(await cleanLeftovers(dataDir), [dead]);
  // A cancelled download stays, to be resumed.
  assert.deepEqual((await readdir(modelsDir(dataDir))).sort(), ['.download-sd-turbo', live].sort());
});
