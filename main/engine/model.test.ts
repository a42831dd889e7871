import assert from 'node:assert/strict';
import { cp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fixtureModel } from '../../scripts/fixtures/cache.ts';
import { FIXTURE_VARIANTS } from '../../scripts/fixtures/variants.ts';
import { EngineError, type EngineErrorCode } from './errors.ts';
import { loadModel, type LoadModelOptions } from './model.ts';
import { copyOfFixture } from '../testing/engine/model-copies.ts';

/** Loads, and asserts it fails with `code`, naming `file` in both the message and the error. */
async function assertRefused(
  options: LoadModelOptions,
  code: EngineErrorCode,
  file: string | RegExp,
): Promise<void> {
  await assert.rejects(loadModel(options), (error: unknown) => {
    assert.ok(error instanceof EngineError, `expected an EngineError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (typeof file === 'string') {
      assert.ok(error.message.includes(file), `message should name ${file}: ${error.message}`);
    } else {
      assert.match(error.message, file);
    }
    return true;
  });
}

describe('every fixture variant loads and reports what runs it', () => {
  for (const variant of FIXTURE_VARIANTS) {
    test(variant, async () => {
      const model = await loadModel({ dir: await fixtureModel(variant) });
      try {
        assert.equal(model.providers.provider, 'cpu');
        assert.deepEqual(model.providers.fallbacks, []);
        assert.equal(model.unet.timestepCondDim !== undefined, variant === 'lcm');
        const family = variant === 'lcm' ? 'lcm' : variant.startsWith('turbo') ? 'turbo' : 'sd15';
        assert.equal(model.family, family);
        assert.equal(model.decoder.part.kind, variant === 'turbo-taesd' ? 'tiny' : 'full');
        assert.equal(model.decoder.part.scale, variant === 'turbo-taesd' ? 1 : 0.18215);
      } finally {
        await model.release();
      }
    });
  }
});

describe('a broken model folder is a typed error naming the file', () => {
  test('a folder that does not exist', async () => {
    await assertRefused(
      { dir: '/nonexistent/model' },
      'MODEL_FOLDER_INVALID',
      '/nonexistent/model',
    );
  });

  for (const relative of [
    'unet/model.onnx',
    'text_encoder/model.onnx',
    'vae_encoder/model.onnx',
    'vae_decoder/model.onnx',
    'scheduler/scheduler_config.json',
    'tokenizer/vocab.json',
    'tokenizer/merges.txt',
  ]) {
    test(`missing ${relative}`, async () => {
      const dir = await copyOfFixture('sd15');
      await rm(path.join(dir, relative));
      await assertRefused({ dir }, 'MODEL_FILE_MISSING', relative);
    });
  }

  test('a truncated UNet', async () => {
    const dir = await copyOfFixture('turbo');
    const file = path.join(dir, 'unet/model.onnx');
    const bytes = await readFile(file);
    await writeFile(file, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await assertRefused({ dir }, 'MODEL_FILE_CORRUPT', 'unet/model.onnx');
  });

  test('a decoder that is not ONNX at all', async () => {
    const dir = await copyOfFixture('turbo');
    await writeFile(
      path.join(dir, 'vae_decoder/model.onnx'),
      'version https://git-lfs.github.com/spec/v1\n',
    );
    await assertRefused({ dir }, 'MODEL_FILE_CORRUPT', 'vae_decoder/model.onnx');
  });

  test('a component in the wrong folder (wrong input names)', async () => {
    const dir = await copyOfFixture('sd15');
    await writeFile(
      path.join(dir, 'unet/model.onnx'),
      await readFile(path.join(dir, 'vae_decoder/model.onnx')),
    );
    await assertRefused({ dir }, 'MODEL_IO_MISMATCH', /unet\/model\.onnx has no input 'sample'/);
  });

  test('a text encoder from another family (768 vs 1024 wide)', async () => {
    const dir = await copyOfFixture('sd15');
    const turbo = await fixtureModel('turbo');
    await writeFile(
      path.join(dir, 'text_encoder/model.onnx'),
      await readFile(path.join(turbo, 'text_encoder/model.onnx')),
    );
    await assertRefused(
      { dir },
      'MODEL_IO_MISMATCH',
      /expects 768-wide text embeddings but text_encoder\/model\.onnx produces 1024/,
    );
  });

  test('a tokenizer whose ids the text encoder does not know', async () => {
    const dir = await copyOfFixture('turbo');
    const vocabFile = path.join(dir, 'tokenizer/vocab.json');
    const vocab = JSON.parse(await readFile(vocabFile, 'utf8')) as Record<string, number>;
    vocab['avatarstudio</w>'] = 60000;
    await writeFile(vocabFile, JSON.stringify(vocab));
    await assertRefused(
      { dir },
      'TOKENIZER_MISMATCH',
      /ids up to 60000 but text_encoder\/model\.onnx rejects them/,
    );
  });

  test('an unreadable vocabulary', async () => {
    const dir = await copyOfFixture('turbo');
    await writeFile(path.join(dir, 'tokenizer/vocab.json'), '{"a": 1,');
    await assertRefused({ dir }, 'TOKENIZER_INVALID', 'vocab.json');
  });

  test('a scheduler config with a value no scheduler knows', async () => {
    const dir = await copyOfFixture('turbo');
    const file = path.join(dir, 'scheduler/scheduler_config.json');
    const config = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    await writeFile(file, JSON.stringify({ ...config, timestep_spacing: 'sideways' }));
    await assertRefused({ dir }, 'CONFIG_INVALID', /timestep_spacing.*leading.*trailing.*linspace/);
  });

  test('a scheduler config as diffusers saves it, with a bare -Infinity, loads', async () => {
    const dir = await copyOfFixture('sd15');
    const file = path.join(dir, 'scheduler/scheduler_config.json');
    const config = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    const saved = JSON.stringify({ ...config, _class_name: 'DPMSolverMultistepScheduler' });
    await writeFile(
      file,
      saved.replace(/}$/, ', "lambda_min_clipped": -Infinity, "variance_type": null}'),
    );
    const model = await loadModel({ dir });
    await model.release();
  });

  test('a scheduler config that is not JSON', async () => {
    const dir = await copyOfFixture('turbo');
    await writeFile(path.join(dir, 'scheduler/scheduler_config.json'), '{');
    await assertRefused({ dir }, 'CONFIG_INVALID', 'scheduler/scheduler_config.json');
  });

  test('a 100 MB model_index.json is refused unread, naming it', async () => {
    const dir = await copyOfFixture('turbo');
    const file = path.join(dir, 'model_index.json');
    await writeFile(file, '{"_class_name": "StableDiffusionPipeline", "padding": "');
    await truncate(file, 100 * 2 ** 20);
    await assertRefused({ dir }, 'CONFIG_INVALID', /model_index\.json is larger than 1 MiB/);
  });

  test('a VAE config with a nonsense scaling factor', async () => {
    const dir = await copyOfFixture('turbo');
    await writeFile(
      path.join(dir, 'vae_decoder/config.json'),
      JSON.stringify({ scaling_factor: -1 }),
    );
    await assertRefused({ dir }, 'CONFIG_INVALID', 'vae_decoder/config.json');
  });

  test('asking for TAESD in a folder without it', async () => {
    await assertRefused(
      { dir: await fixtureModel('sd15'), autoencoder: 'tiny' },
      'MODEL_FILE_MISSING',
      'taesd_encoder/model.onnx',
    );
  });
});

describe('autoencoder choice', () => {
  test('on the CPU, TAESD is the default where the folder has both halves; the VAE when asked', async () => {
    const dir = await copyOfFixture('turbo');
    const taesd = await fixtureModel('turbo-taesd');
    for (const part of ['taesd_encoder', 'taesd_decoder']) {
      await cp(path.join(taesd, part), path.join(dir, part), { recursive: true });
    }
    for (const [choice, kind] of [
      ['auto', 'tiny'],
      ['full', 'full'],
      ['tiny', 'tiny'],
    ] as const) {
      const model = await loadModel({ dir, autoencoder: choice, provider: 'cpu' });
      assert.equal(model.providers.provider, 'cpu');
      assert.equal(model.encoder.part.kind, kind, choice);
      assert.equal(model.decoder.part.kind, kind, choice);
      await model.release();
    }
  });

  test('half a TAESD is not used: the full VAE stays the default', async () => {
    const dir = await copyOfFixture('turbo');
    const taesd = await fixtureModel('turbo-taesd');
    await cp(path.join(taesd, 'taesd_decoder'), path.join(dir, 'taesd_decoder'), {
      recursive: true,
    });
    const model = await loadModel({ dir, provider: 'cpu' });
    assert.equal(model.encoder.part.kind, 'full');
    assert.equal(model.decoder.part.kind, 'full');
    await model.release();
  });
});

describe('execution providers', () => {
  test('a GPU provider that cannot load falls back to CPU and says why', async () => {
    const model = await loadModel({ dir: await fixtureModel('turbo'), provider: 'cuda' });
    try {
      if (model.providers.provider === 'cuda') return; // a machine with CUDA installed runs it
      assert.equal(model.providers.provider, 'cpu');
      const [fallback] = model.providers.fallbacks;
      assert.equal(fallback?.provider, 'cuda');
      assert.match(fallback.reason, /unet\/model\.onnx: .+/);
    } finally {
      await model.release();
    }
  });
});
