import assert from 'node:assert/strict';
import { lstat, readFile, readdir, rename, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fixtureModel } from '../../scripts/fixtures/cache.ts';
import { FIXTURE_VARIANTS, type FixtureVariant } from '../../scripts/fixtures/variants.ts';
import { isEngineError } from '../engine/errors.ts';
import { copyOfFixture } from '../testing/engine/model-copies.ts';
import { tempDataDir } from '../testing/store.ts';
import { importModel } from './import.ts';
import type { ModelFamily } from '../engine/types.ts';
import type { Precision } from './manifest.ts';
import { listInstalled, verifyInstalled } from './registry.ts';
import { precisionOf, readOnnx } from './onnx-model.ts';
import { externalize } from '../testing/models/externalize.ts';
import { loadModel } from '../engine/model.ts';

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

test('files linked from outside the folder (a Hugging Face cache snapshot) import, copied or linked', async (t) => {
  const dataDir = tempDataDir(t);
  const source = await copyOfFixture('turbo');
  // The hub cache's layout: snapshots/<rev>/unet/model.onnx -> ../../blobs/<sha>.
  const blob = path.join(path.dirname(source), `${path.basename(source)}-blob`);
  await rename(path.join(source, 'unet/model.onnx'), blob);
  await symlink(
    path.relative(path.join(source, 'unet'), blob),
    path.join(source, 'unet/model.onnx'),
  );
  for (const link of [false, true]) {
    const { dir } = await importModel({ dataDir, source, link });
    const installed = await lstat(path.join(dir, 'unet/model.onnx'));
    assert.ok(installed.isFile(), 'the installed UNet is a file, not a link back to the source');
    assert.equal(installed.size, (await stat(blob)).size);
    await (await loadModel({ dir })).release();
  }
});

test('verify names a file changed after install', async (t) => {
  const dataDir = tempDataDir(t);
  const { dir } = await importModel({ dataDir, source: await fixtureModel('turbo') });
  await writeFile(path.join(dir, 'scheduler/scheduler_config.json'), '{}');
  const { problems } = await verifyInstalled(dataDir, 'turbo');
  assert.deepEqual(problems, [{ path: 'scheduler/scheduler_config.json', problem: 'changed' }]);
});

test('--precision fp32 upcasts an fp16 export (weights in weights.pb); the source stays as it was', async (t) => {
  const dataDir = tempDataDir(t);
  const source = await copyOfFixture('turbo-fp16-io');
  await externalize(path.join(source, 'unet'), 'weights.pb');
  const before = await readFile(path.join(source, 'unet/weights.pb'));
  const { manifest, dir } = await importModel({ dataDir, source, link: true, precision: 'fp32' });

  assert.equal(manifest.precision, 'fp32');
  const paths = manifest.files.map((f) => f.path);
  assert.ok(!paths.includes('unet/weights.pb'), paths.join(', '));
  assert.deepEqual(
    manifest.changed?.map((c) => [c.path, c.change]),
    ['text_encoder', 'unet', 'vae_decoder', 'vae_encoder'].map((c) => [
      `${c}/model.onnx`,
      'fp16 upcast to fp32',
    ]),
  );
  assert.deepEqual(await readFile(path.join(source, 'unet/weights.pb')), before);
  assert.equal(precisionOf(await readOnnx(path.join(source, 'unet/model.onnx'), 'unet')), 'fp16');
  // Everything not upcast is still shared with the source.
  const tokenizer = 'tokenizer/vocab.json';
  assert.equal(
    (await stat(path.join(dir, tokenizer))).ino,
    (await stat(path.join(source, tokenizer))).ino,
  );
  assert.deepEqual((await verifyInstalled(dataDir, manifest.id)).problems, []);
  const model = await loadModel({ dir });
  await model.release();
});

test('--precision refuses what it cannot do before copying anything', async (t) => {
  const dataDir = tempDataDir(t);
  await assert.rejects(
    importModel({ dataDir, source: await fixtureModel('turbo'), precision: 'fp16' }),
    { code: 'IMPORT_UNSUPPORTED', message: /turbo is fp32: fp32 is not downcast to fp16/ },
  );
  await assert.rejects(
    importModel({ dataDir, source: await fixtureModel('sd15-int8'), precision: 'fp32' }),
    { code: 'IMPORT_UNSUPPORTED', message: /sd15-int8 is int8: int8 weights cannot be turned/ },
  );
  assert.deepEqual(await readdir(path.join(dataDir, 'models')).catch(() => []), []);
  const kept = await importModel({
    dataDir,
    source: await fixtureModel('turbo-fp16'),
    precision: 'fp16',
  });
  assert.equal(kept.manifest.precision, 'fp16');
});
