import assert from 'node:assert/strict';
import { appendFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { isLoraError, type LoraErrorCode } from '../lora/errors.ts';
import { tempDataDir } from '../testing/store.ts';
import { loadCatalog, parseCatalog } from './catalog.ts';
import { isModelError, type ModelErrorCode } from './errors.ts';
import { importModel } from './import.ts';
import { downloadDir, installLoraFromCatalog } from './install.ts';
import {
  describeLora,
  getLora,
  importLora,
  LORA_FILE,
  listLoras,
  removeLora,
  verifyLora,
} from './loras.ts';
import { sha256File } from './manifest.ts';
import { cleanLeftovers, createStaging, listInstalled } from './registry.ts';
import { serveFolder } from '../testing/model-server.ts';
import {
  importReferenceModel,
  labelledLora,
  loraEntry,
  loraWithMetadata,
  REFERENCE_LORA,
  writeLoraCatalogFor,
} from '../testing/models/loras.ts';
import { REFERENCE_DIR } from '../testing/graphs/reference.ts';

function isCode(code: ModelErrorCode | LoraErrorCode, pattern: RegExp) {
  return (error: unknown) => {
    assert.ok(isModelError(error) || isLoraError(error), `unexpected ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.match(error.message, pattern);
    return true;
  };
}

/** Nothing installed and nothing left behind in the data folder's loras/. */
async function assertNothingInstalled(dataDir: string) {
  assert.deepEqual(await listLoras(dataDir), []);
  const left = await readdir(path.join(dataDir, 'loras')).catch(() => []);
  assert.deepEqual(left, []);
}

describe('LoRAs imported from files', () => {
  test('the reference kohya LoRAs install hashed, list, verify and remove', async (t) => {
    const dataDir = tempDataDir(t);
    const sd1 = await importLora({ dataDir, source: REFERENCE_LORA.sd1, id: 'clay' });
    const sd2 = await importLora({ dataDir, source: REFERENCE_LORA.sd2, link: true });

    assert.equal(sd1.path, path.join(dataDir, 'loras', 'clay', LORA_FILE));
    assert.deepEqual(await readFile(sd1.path), await readFile(REFERENCE_LORA.sd1));
    const m = sd1.manifest;
    assert.deepEqual(
      [m.kind, m.id, m.name, m.format, m.base, m.ranks, m.layers, m.source, m.fileName],
      [
        'lora',
        'clay',
        'lora-kohya',
        'kohya',
        'unknown',
        [4],
        66,
        'import',
        'lora-kohya.safetensors',
      ],
    );
    assert.deepEqual(m.components, ['unet', 'text_encoder']);
    assert.deepEqual(m.files, [
      { path: LORA_FILE, size: 132688, sha256: await sha256File(REFERENCE_LORA.sd1) },
    ]);
    assert.equal(m.bytes, 132688);
    assert.equal(m.origin, REFERENCE_LORA.sd1);
    // The id comes from the file's name when none is given.
    assert.equal(sd2.manifest.id, 'lora-kohya');
    assert.equal(describeLora(m), 'LoRA, model line unknown (kohya, rank 4, 66 layers)');

    assert.deepEqual(
      (await listLoras(dataDir)).map((l) => l.manifest.id),
      ['clay', 'lora-kohya'],
    );
    assert.deepEqual((await verifyLora(dataDir, 'clay')).problems, []);
    await appendFile(sd1.path, 'x');
    assert.deepEqual((await verifyLora(dataDir, 'clay')).problems, [
      { path: LORA_FILE, problem: 'changed' },
    ]);

    await removeLora(dataDir, 'clay');
    assert.deepEqual(
      (await listLoras(dataDir)).map((l) => l.manifest.id),
      ['lora-kohya'],
    );
    await assert.rejects(
      getLora(dataDir, 'clay'),
      isCode('MODEL_NOT_INSTALLED', /no installed LoRA "clay" \(installed: lora-kohya\)/),
    );
    // The linked copy is the reference file's bytes, and removing it leaves the source alone.
    await removeLora(dataDir, 'lora-kohya');
    assert.equal(await sha256File(REFERENCE_LORA.sd2), sd2.manifest.files[0]!.sha256);
  });

  test("the trainer's metadata names the line: SD 1.x and SD 2.x", async (t) => {
    const dataDir = tempDataDir(t);
    const sd1 = await labelledLora('sd1', path.join(dataDir, 'clay.safetensors'));
    const sd2 = await labelledLora('sd2', path.join(dataDir, 'paper.safetensors'));
    const a = await importLora({ dataDir, source: sd1, name: 'Clay figure' });
    const b = await importLora({ dataDir, source: sd2 });
    assert.deepEqual(
      [a.manifest.id, a.manifest.name, a.manifest.base],
      ['clay', 'Clay figure', 'sd1'],
    );
    assert.deepEqual([b.manifest.id, b.manifest.base], ['paper', 'sd2']);
    assert.equal(describeLora(a.manifest), 'LoRA for SD 1.x models (kohya, rank 4, 66 layers)');
  });

  test('a non-LoRA, a corrupt file and an SDXL LoRA are refused by name; nothing installs', async (t) => {
    const dataDir = tempDataDir(t);
    const checkpoint = path.join(REFERENCE_DIR, 'sd1-tiny/checkpoint.safetensors');
    await assert.rejects(
      importLora({ dataDir, source: checkpoint }),
      isCode('LORA_UNSUPPORTED', /checkpoint\.safetensors is not a LoRA/),
    );
    const corrupt = path.join(dataDir, 'broken.safetensors');
    await writeFile(corrupt, (await readFile(REFERENCE_LORA.sd1)).subarray(0, 5000));
    await assert.rejects(
      importLora({ dataDir, source: corrupt }),
      isCode('LORA_UNREADABLE', /broken\.safetensors cannot be read as a LoRA/),
    );
    const sdxl = await loraWithMetadata(REFERENCE_LORA.sd1, path.join(dataDir, 'xl.safetensors'), {
      ss_base_model_version: 'sdxl_base_v1-0',
    });
    await assert.rejects(
      importLora({ dataDir, source: sdxl }),
      isCode('LORA_UNSUPPORTED', /xl\.safetensors is an SDXL LoRA/),
    );
    await assertNothingInstalled(dataDir);
  });

  test('ids are shared by models and LoRAs', async (t) => {
    const dataDir = tempDataDir(t);
    await importReferenceModel(dataDir, 'sd1', 'tiny');
    await assert.rejects(
      importLora({ dataDir, source: REFERENCE_LORA.sd1, id: 'tiny' }),
      isCode('ALREADY_INSTALLED', /a model "tiny" is installed: models and LoRAs share ids/),
    );
    await importLora({ dataDir, source: REFERENCE_LORA.sd1, id: 'clay' });
    await assert.rejects(
      importModel({
        dataDir,
        source: path.join(REFERENCE_DIR, 'sd1-tiny/checkpoint.safetensors'),
        id: 'clay',
      }),
      isCode('ALREADY_INSTALLED', /a LoRA "clay" is installed/),
    );
    await assert.rejects(
      importLora({ dataDir, source: REFERENCE_LORA.sd2, id: 'clay' }),
      isCode('ALREADY_INSTALLED', /a LoRA "clay" is already installed/),
    );
    // A derived id steps around both kinds.
    const named = await importLora({
      dataDir,
      source: await labelledLora('sd1', path.join(dataDir, 'tiny.safetensors')),
    });
    assert.equal(named.manifest.id, 'tiny-2');
    assert.deepEqual(
      (await listInstalled(dataDir)).map((m) => m.manifest.id),
      ['tiny'],
    );
  });

  test('a crashed import leaves a staging folder that the clean-up removes', async (t) => {
    const dataDir = tempDataDir(t);
    const staging = await createStaging(dataDir, 'loras');
    const dead = path.basename(staging).replace(`-${process.pid}-`, '-999999999-');
    await mkdir(path.join(dataDir, 'loras', dead));
    assert.deepEqual(await cleanLeftovers(dataDir), [`loras/${dead}`]);
  });
});

describe('LoRAs installed from a catalogue', () => {
  async function setup(t: TestContext, file: string, extra: { base?: 'sd1' | 'sd2' } = {}) {
    const dataDir = tempDataDir(t);
    const served = path.dirname(file);
    const server = await serveFolder(served);
    t.after(() => server.close());
    const catalogFile = path.join(dataDir, 'catalog.json');
    await writeLoraCatalogFor(
      catalogFile,
      'clay',
      served,
      path.basename(file),
      server.baseUrl,
      extra,
    );
    const catalog = await loadCatalog(catalogFile);
    return { dataDir, catalog, server };
  }

  test('downloads the one file with its size and SHA-256 checked, and installs it', async (t) => {
    const source = await labelledLora('sd1', path.join(tempDataDir(t), 'clay-v1.safetensors'));
    const { dataDir, catalog } = await setup(t, source, { base: 'sd1' });
    const { manifest, path: file } = await installLoraFromCatalog({ dataDir, catalog, id: 'clay' });
    assert.deepEqual(
      [manifest.source, manifest.base, manifest.fileName, manifest.license, manifest.name],
      ['catalog', 'sd1', 'clay-v1.safetensors', 'MIT', 'Fixture LoRA clay'],
    );
    assert.equal(manifest.origin, `${catalog.file}#clay`);
    assert.deepEqual(await readFile(file), await readFile(source));
    assert.deepEqual(await readdir(path.join(dataDir, 'loras')), ['clay']);
    await assert.rejects(
      installLoraFromCatalog({ dataDir, catalog, id: 'clay' }),
      isCode('ALREADY_INSTALLED', /"clay" is already installed/),
    );
  });

  test('wrong bytes are a hash mismatch; nothing installs', async (t) => {
    const { dataDir, catalog, server } = await setup(t, REFERENCE_LORA.sd1);
    server.faults.corrupt = new Set(['lora-kohya.safetensors']);
    await assert.rejects(
      installLoraFromCatalog({ dataDir, catalog, id: 'clay', retryDelayMs: 10 }),
      isCode('HASH_MISMATCH', /lora-kohya\.safetensors is corrupt/),
    );
    assert.deepEqual(await listLoras(dataDir), []);
  });

  test('a file that is no LoRA, or not the line the catalogue says, is refused and deleted', async (t) => {
    const checkpoint = await setup(t, path.join(REFERENCE_DIR, 'sd1-tiny/checkpoint.safetensors'));
    await assert.rejects(
      installLoraFromCatalog({ ...checkpoint, id: 'clay' }),
      isCode('LORA_UNSUPPORTED', /checkpoint\.safetensors is not a LoRA/),
    );
    await assertNothingInstalled(checkpoint.dataDir);

    const sd2 = await labelledLora('sd2', path.join(tempDataDir(t), 'paper.safetensors'));
    const wrong = await setup(t, sd2, { base: 'sd1' });
    await assert.rejects(
      installLoraFromCatalog({ ...wrong, id: 'clay' }),
      isCode(
        'CATALOG_INVALID',
        /paper\.safetensors is a LoRA for SD 2\.x models, but .*catalog\.json says "clay" is for SD 1\.x/,
      ),
    );
    await assertNothingInstalled(wrong.dataDir);
    await assert.rejects(readdir(downloadDir(wrong.dataDir, 'clay', 'loras')), { code: 'ENOENT' });
  });

  test("the catalogue's base is kept where the file tells none", async (t) => {
    const { dataDir, catalog } = await setup(t, REFERENCE_LORA.sd2, { base: 'sd2' });
    const { manifest } = await installLoraFromCatalog({ dataDir, catalog, id: 'clay' });
    assert.equal(manifest.base, 'sd2');
  });

  test('a LoRA entry is checked field by field', () => {
    const entry = loraEntry({
      id: 'clay',
      file: 'clay.safetensors',
      size: 1,
      sha256: 'a'.repeat(64),
      baseUrl: 'http://127.0.0.1/',
    });
    const refused = (change: object, pattern: RegExp) =>
      assert.throws(
        () => parseCatalog({ models: [{ ...entry, ...change }] }, 'c.json'),
        isCode('CATALOG_INVALID', pattern),
      );
    assert.equal(parseCatalog({ models: [entry] }, 'c.json')[0]!.kind, 'lora');
    refused(
      { family: 'sd15' },
      /models\[0\]\.family must be one of .* \(null for an add-on or a LoRA\)/,
    );
    refused({ base: 'sdxl' }, /models\[0\]\.base must be one of sd1, sd2, got "sdxl"/);
    refused({ format: 'diffusers' }, /models\[0\]\.format is not for a LoRA/);
    refused(
      { files: [{ path: 'clay.ckpt', size: 1, sha256: 'a'.repeat(64) }] },
      /models\[0\]\.files\[0\]\.path must be a \.safetensors file/,
    );
    refused({ files: [] }, /models\[0\]\.files must list the one \.safetensors file/);
    assert.throws(
      () =>
        parseCatalog(
          { models: [{ ...entry, kind: 'model', family: 'sd15', base: 'sd1' }] },
          'c.json',
        ),
      isCode('CATALOG_INVALID', /models\[0\]\.base is for a LoRA/),
    );
  });
});
