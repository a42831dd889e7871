import assert from 'node:assert/strict';
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fixtureModel } from '../../scripts/fixtures/cache.ts';
import { FIXTURE_VARIANTS, type FixtureVariant } from '../../scripts/fixtures/variants.ts';
import { isEngineError } from '../engine/errors.ts';
import { copyOfFixture } from '../engine/testing/model-copies.ts';
import { tempDataDir } from '../store/test-helpers.ts';
import { importModel } from './import.ts';
import type { ModelFamily } from '../engine/types.ts';
import type { Precision } from './manifest.ts';
import { listInstalled, verifyInstalled } from './registry.ts';

const EXPECTED: Record<FixtureVariant, { family: ModelFamily; precision: Precision }> = {
  sd15: { family: 'sd15', precision: 'fp32' },
  'sd15-optimum': { family: 'sd15', precision: 'fp32' },
  turbo: { family: 'turbo', precision: 'fp32' },
  'turbo-fp16': { family: 'turbo', precision: 'fp16' },
  'turbo-fp16-io': { family: 'turbo', precision: 'fp16' },
  lcm: { family: 'lcm', precision: 'fp32' },
  'turbo-taesd': { family: 'turbo', precision: 'fp32' },
  'sd15-int8': { family: 'sd15', precision: 'int8' },
};

describe('import of every fixture variant', () => {
  for (const variant of FIXTURE_VARIANTS) {
    test(variant, async (t) => {
      const dataDir = tempDataDir(t);
      const source = await fixtureModel(variant);
      const { manifest, dir } = await importModel({ dataDir, source });
      assert.equal(manifest.id, variant);
      assert.equal(manifest.source, 'import');
      assert.deepEqual(
        { family: manifest.family, precision: manifest.precision },
        EXPECTED[variant],
      );
      assert.deepEqual(
        await readFile(path.join(dir, 'unet/model.onnx')),
        await readFile(path.join(source, 'unet/model.onnx')),
      );
      assert.deepEqual((await verifyInstalled(dataDir, variant)).problems, []);
    });
  }
});

test('a truncated .onnx is refused with the validator message naming it; nothing is copied', async (t) => {
  const dataDir = tempDataDir(t);
  const source = await copyOfFixture('turbo');
  const unet = path.join(source, 'unet/model.onnx');
  const bytes = await readFile(unet);
  await writeFile(unet, bytes.subarray(0, bytes.length >> 1));
  await assert.rejects(importModel({ dataDir, source }), (error: unknown) => {
    assert.ok(isEngineError(error));
    assert.equal(error.code, 'MODEL_FILE_CORRUPT');
    assert.match(error.message, /unet\/model\.onnx cannot be loaded/);
    return true;
  });
  assert.deepEqual(await readdir(path.join(dataDir, 'models')).catch(() => []), []);
});

test('a file instead of a folder is refused (a .zip must be unpacked first)', async (t) => {
  const dataDir = tempDataDir(t);
  const zip = path.join(dataDir, 'model.zip');
  await writeFile(zip, 'PK');
  await assert.rejects(importModel({ dataDir, source: zip }), { code: 'IMPORT_UNSUPPORTED' });
});

test('ids come from the folder name, de-duplicated; --link shares the bytes', async (t) => {
  const dataDir = tempDataDir(t);
  const source = await copyOfFixture('sd15');
  const first = await importModel({ dataDir, source });
  const second = await importModel({ dataDir, source, link: true, name: 'Linked' });
  assert.deepEqual([first.manifest.id, second.manifest.id], ['sd15', 'sd15-2']);
  assert.equal(second.manifest.name, 'Linked');
  const linked = await stat(path.join(second.dir, 'unet/model.onnx'));
  assert.equal(linked.ino, (await stat(path.join(source, 'unet/model.onnx'))).ino);
  assert.deepEqual(
    (await listInstalled(dataDir)).map((m) => m.manifest.id),
    ['sd15', 'sd15-2'],
  );
});

test('verify names a file changed after install', async (t) => {
  const dataDir = tempDataDir(t);
  const { dir } = await importModel({ dataDir, source: await fixtureModel('turbo') });
  await writeFile(path.join(dir, 'scheduler/scheduler_config.json'), '{}');
  const { problems } = await verifyInstalled(dataDir, 'turbo');
  assert.deepEqual(problems, [{ path: 'scheduler/scheduler_config.json', problem: 'changed' }]);
});
