import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findEntry, loadCatalog, parseCatalog, planFiles } from './catalog.ts';

test('the shipped catalogue parses: SD-Turbo, SD 1.5, LCM and TAESD', async () => {
  const catalog = await loadCatalog();
  const ids = catalog.entries.map((e) => e.id);
  assert.deepEqual(ids, ['sd-turbo', 'sd15', 'lcm-dreamshaper-v7', 'taesd']);
  // Nothing here could be checked from this machine: no size or hash may be made up.
  for (const entry of catalog.entries) {
    assert.equal(entry.totalBytes, null);
    for (const file of entry.files) assert.deepEqual([file.size, file.sha256], [null, null]);
  }
});

test('hub entries take sizes and hashes from the hub metadata, add-ons included', async () => {
  const catalog = await loadCatalog();
  const sha = (c: string) => c.repeat(64);
  const trees: Record<string, object[]> = {
    'jdp8/sd-turbo-onnx': [
      { type: 'file', path: 'model_index.json', size: 596, oid: 'f'.repeat(40) },
      { type: 'directory', path: 'unet', size: 0 },
      {
        type: 'file',
        path: 'unet/model.onnx',
        size: 9,
        lfs: { oid: sha('a'), size: 1_740_000_000 },
      },
      {
        type: 'file',
        path: 'unet/diffusion_pytorch_model.safetensors',
        size: 9,
        lfs: { oid: sha('b'), size: 9 },
      },
    ],
    'deinferno/taesd-onnx': [
      {
        type: 'file',
        path: 'vae_encoder/model.onnx',
        size: 9,
        lfs: { oid: sha('c'), size: 4_910_000 },
      },
      {
        type: 'file',
        path: 'vae_decoder/model.onnx',
        size: 9,
        lfs: { oid: sha('d'), size: 4_920_000 },
      },
    ],
  };
  const asked: string[] = [];
  const plan = await planFiles(catalog, catalog.entries[0]!, {
    readHubTree: async (repo, revision) => {
      asked.push(`${repo}@${revision}`);
      return trees[repo] as never;
    },
  });
  assert.deepEqual(asked, [
    'jdp8/sd-turbo-onnx@4ea5d203f7def52bcf83781990f97721c98a7f22',
    'deinferno/taesd-onnx@main',
  ]);
  assert.deepEqual(
    plan.map((f) => [f.path, f.size, f.expected]),
    [
      ['model_index.json', 596, { gitBlobSha1: 'f'.repeat(40) }],
      ['unet/model.onnx', 1_740_000_000, { sha256: sha('a') }],
      ['taesd_encoder/model.onnx', 4_910_000, { sha256: sha('c') }],
      ['taesd_decoder/model.onnx', 4_920_000, { sha256: sha('d') }],
    ],
  );
  assert.equal(
    plan[1]!.url,
    'https://huggingface.co/jdp8/sd-turbo-onnx/resolve/4ea5d203f7def52bcf83781990f97721c98a7f22/unet/model.onnx',
  );
  assert.equal(
    plan[2]!.url,
    'https://huggingface.co/deinferno/taesd-onnx/resolve/main/vae_encoder/model.onnx',
  );
});

test('a file the hub does not have is named', async () => {
  const catalog = await loadCatalog();
  await assert.rejects(planFiles(catalog, catalog.entries[0]!, { readHubTree: async () => [] }), {
    code: 'NOT_FOUND',
    message: /model_index\.json is not in jdp8\/sd-turbo-onnx/,
  });
});

test('a catalogue error names the field', () => {
  const entry = {
    id: 'x',
    name: 'X',
    kind: 'model',
    family: 'sd15',
    license: 'MIT',
    totalBytes: null,
    source: { baseUrl: 'http://127.0.0.1:1/' },
    files: [{ path: 'unet/model.onnx', size: 1, sha256: null }],
  };
  assert.throws(() => parseCatalog({ models: [entry] }, 'c.json'), {
    code: 'CATALOG_INVALID',
    message: /c\.json: models\[0\]\.files\[0\] needs its size and sha256/,
  });
  const escaping = { ...entry, files: [{ path: '../evil', size: 1, sha256: 'a'.repeat(64) }] };
  assert.throws(
    () => parseCatalog({ models: [escaping] }, 'c.json'),
    /files\[0\]\.path must be a relative path/,
  );
  const unknownAddon = { ...entry, files: [], addons: ['taesd'] };
  assert.throws(
    () => parseCatalog({ models: [unknownAddon] }, 'c.json'),
    /names "taesd", which is not an add-on/,
  );
});

test('an add-on is installed with its models, not alone', async () => {
  const catalog = await loadCatalog();
  assert.throws(
    () => findEntry(catalog, 'taesd'),
    /add-on installed together with sd-turbo, sd15, lcm-dreamshaper-v7/,
  );
  assert.throws(() => findEntry(catalog, 'sdxl'), {
    code: 'UNKNOWN_MODEL',
    message: /models: sd-turbo, sd15, lcm-dreamshaper-v7/,
  });
});

test('the fp16 SD-Turbo re-upload says where it stands: no README, no licence stated', async () => {
  const entry = findEntry(await loadCatalog(), 'sd-turbo');
  assert.deepEqual(entry.source, {
    hub: 'jdp8/sd-turbo-onnx',
    revision: '4ea5d203f7def52bcf83781990f97721c98a7f22',
  });
  assert.match(entry.provenance!, /no README, no licence stated/);
  const bad = { models: [{ ...entry, provenance: 1 }] };
  assert.throws(() => parseCatalog(bad, 'c.json'), {
    message: /models\[0\]\.provenance must be a string/,
  });
});
