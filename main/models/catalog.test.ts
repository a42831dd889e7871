import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findEntry, formatOf, loadCatalog, parseCatalog, planFiles } from './catalog.ts';

test('the shipped catalogue parses: official weights to build, the earlier ONNX exports kept', async () => {
  const catalog = await loadCatalog();
  assert.deepEqual(
    catalog.entries.map((e) => [e.id, formatOf(e), 'hub' in e.source && e.source.hub]),
    [
      ['sd-turbo', 'diffusers', 'stabilityai/sd-turbo'],
      ['sd15', 'diffusers', 'stable-diffusion-v1-5/stable-diffusion-v1-5'],
      ['lcm-dreamshaper-v7', 'diffusers', 'SimianLuo/LCM_Dreamshaper_v7'],
      ['sd-turbo-onnx', 'onnx', 'jdp8/sd-turbo-onnx'],
      ['taesd', 'diffusers', 'madebyollin/taesd'],
      ['taesd-onnx', 'onnx', 'deinferno/taesd-onnx'],
    ],
  );
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
  const plan = await planFiles(catalog, findEntry(catalog, 'sd-turbo-onnx'), {
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

test('a diffusers entry takes configs and one variant of safetensors per folder, fp16 first', async () => {
  const catalog = await loadCatalog();
  const file = (path: string) => ({
    type: 'file',
    path,
    size: 9,
    lfs: { oid: 'a'.repeat(64), size: 9 },
  });
  const trees: Record<string, object[]> = {
    'stabilityai/sd-turbo': [
      'model_index.json',
      'sd_turbo.safetensors',
      'README.md',
      'scheduler/scheduler_config.json',
      'tokenizer/merges.txt',
      'tokenizer/vocab.json',
      'text_encoder/config.json',
      'text_encoder/model.safetensors',
      'text_encoder/model.onnx',
      'unet/config.json',
      'unet/diffusion_pytorch_model.safetensors',
      'unet/diffusion_pytorch_model.fp16.safetensors',
      'unet/diffusion_pytorch_model.non_ema.safetensors',
      'unet/diffusion_pytorch_model.fp16.bin',
      'vae/config.json',
      'vae/diffusion_pytorch_model.fp16-00001-of-00002.safetensors',
      'vae/diffusion_pytorch_model.fp16-00002-of-00002.safetensors',
      'vae/diffusion_pytorch_model.safetensors',
      'vae_decoder/model.onnx',
    ].map(file),
    'madebyollin/taesd': [
      'config.json',
      'diffusion_pytorch_model.safetensors',
      'diffusion_pytorch_model.bin',
      'taesd_decoder.pth',
    ].map(file),
  };
  const plan = await planFiles(catalog, findEntry(catalog, 'sd-turbo'), {
    readHubTree: async (repo) => trees[repo] as never,
  });
  assert.deepEqual(
    plan.map((f) => f.path),
    [
      'model_index.json',
      'scheduler/scheduler_config.json',
      'tokenizer/merges.txt',
      'tokenizer/vocab.json',
      // No fp16 variant here: the full-precision weights.
      'text_encoder/config.json',
      'text_encoder/model.safetensors',
      'unet/config.json',
      'unet/diffusion_pytorch_model.fp16.safetensors',
      'vae/config.json',
      'vae/diffusion_pytorch_model.fp16-00001-of-00002.safetensors',
      'vae/diffusion_pytorch_model.fp16-00002-of-00002.safetensors',
      // TAESD's weights, where the installer builds them from.
      'taesd/config.json',
      'taesd/diffusion_pytorch_model.safetensors',
    ],
  );
  assert.equal(
    plan.at(-1)!.url,
    'https://huggingface.co/madebyollin/taesd/resolve/main/diffusion_pytorch_model.safetensors',
  );
});

test('a file the hub does not have is named', async () => {
  const catalog = await loadCatalog();
  await assert.rejects(planFiles(catalog, catalog.entries[0]!, { readHubTree: async () => [] }), {
    code: 'NOT_FOUND',
    message: /model_index\.json is not in stabilityai\/sd-turbo at main/,
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
  const unknownFormat = { ...entry, files: [], format: 'ckpt' };
  assert.throws(() => parseCatalog({ models: [unknownFormat] }, 'c.json'), {
    code: 'CATALOG_INVALID',
    message:
      /models\[0\]\.format must be one of "onnx", "diffusers" \(default "onnx"\), got "ckpt"/,
  });
  const pickle = {
    ...entry,
    format: 'diffusers',
    files: [{ path: 'unet/diffusion_pytorch_model.bin', size: 1, sha256: 'a'.repeat(64) }],
  };
  assert.throws(
    () => parseCatalog({ models: [pickle] }, 'c.json'),
    /files\[0\]\.path must be safetensors weights or a config .* never downloaded/,
  );
  const addon = { ...entry, id: 'tiny', kind: 'addon', family: null, files: [] };
  const mixed = { ...entry, files: [], format: 'diffusers', addons: ['tiny'] };
  assert.throws(
    () => parseCatalog({ models: [mixed, addon] }, 'c.json'),
    /names "tiny", whose format is onnx: a model's add-ons share its format \(diffusers\)/,
  );
  // A null where an object belongs is named, not a TypeError from reading its fields.
  for (const [models, where] of [
    [[null], /c\.json: models\[0\] must be an object/],
    [[{ ...entry, files: [null] }], /c\.json: models\[0\]\.files\[0\] must be an object/],
    [
      [{ ...entry, kind: 'lora', family: null, files: [null] }],
      /models\[0\]\.files\[0\] must be an object/,
    ],
  ] as const) {
    assert.throws(() => parseCatalog({ models }, 'c.json'), {
      code: 'CATALOG_INVALID',
      message: where,
    });
  }
});

test('an add-on is installed with its models, not alone', async () => {
  const catalog = await loadCatalog();
  assert.throws(
    () => findEntry(catalog, 'taesd'),
    /add-on installed together with sd-turbo, sd15, lcm-dreamshaper-v7;/,
  );
  assert.throws(() => findEntry(catalog, 'taesd-onnx'), /installed together with sd-turbo-onnx;/);
  assert.throws(() => findEntry(catalog, 'sdxl'), {
    code: 'UNKNOWN_MODEL',
    message: /models: sd-turbo, sd15, lcm-dreamshaper-v7, sd-turbo-onnx\)/,
  });
});

test('the fp16 SD-Turbo re-upload says where it stands: no README, no licence stated', async () => {
  const catalog = await loadCatalog();
  // The official weights need no such note.
  assert.equal(findEntry(catalog, 'sd-turbo').provenance, undefined);
  const entry = findEntry(catalog, 'sd-turbo-onnx');
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
