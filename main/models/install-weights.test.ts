/**
 * A diffusers catalogue entry served on 127.0.0.1 (the sd2-tiny reference folder of safetensors,
 * with taesd-tiny as its TAESD add-on): downloaded, built into ONNX graphs, installed, and run.
 */
import assert from 'node:assert/strict';
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { Engine } from '../engine/engine.ts';
import { loadImageTensor } from '../engine/image.ts';
import type { SchedulerName } from '../engine/schedulers/scheduler.ts';
import {
  REFERENCE_DIR,
  readReferenceF32,
  referenceCases,
  relativeL2,
} from '../testing/graphs/reference.ts';
import { tempDataDir } from '../testing/store.ts';
import { loadCatalog } from './catalog.ts';
import { isModelError } from './errors.ts';
import { downloadDir, installFromCatalog, type InstallProgress } from './install.ts';
import { listModelFiles, sha256File } from './manifest.ts';
import { listInstalled } from './registry.ts';
import { serveFolder, writeCatalogFor } from '../testing/model-server.ts';

const ID = 'fixture-sd2';
const MODEL = 'sd2-tiny';

async function setup(t: TestContext) {
  const dataDir = tempDataDir(t);
  // One server for both: the model's folder and TAESD's are two paths under it.
  const server = await serveFolder(REFERENCE_DIR);
  t.after(() => server.close());
  const catalogFile = path.join(dataDir, 'catalog.json');
  await writeCatalogFor(
    catalogFile,
    ID,
    path.join(REFERENCE_DIR, MODEL, 'diffusers'),
    `${server.baseUrl}${MODEL}/diffusers/`,
    {
      format: 'diffusers',
      addon: {
        dir: path.join(REFERENCE_DIR, 'taesd-tiny', 'taesd'),
        baseUrl: `${server.baseUrl}taesd-tiny/taesd/`,
      },
    },
  );
  const catalog = await loadCatalog(catalogFile);
  const install = (extra: { signal?: AbortSignal; onProgress?: (p: InstallProgress) => void }) =>
    installFromCatalog({ dataDir, catalog, id: ID, retryDelayMs: 10, ...extra });
  return { dataDir, server, catalogFile, install };
}

describe('install a diffusers entry: download the weights, build, install', () => {
  test('installs a folder the engine runs img2img with, its manifest listing the built files', async (t) => {
    const { dataDir, install } = await setup(t);
    const events: InstallProgress[] = [];
    const { manifest, dir } = await install({ onProgress: (p) => events.push(p) });

    // Progress: the download, then the build, component by component, TAESD's halves last.
    const firstBuild = events.findIndex((e) => e.phase === 'build');
    assert.ok(firstBuild > 0, 'the download reports first');
    assert.ok(events.slice(firstBuild).every((e) => e.phase === 'build'));
    const download = events[firstBuild - 1]!;
    assert.ok(download.phase === 'download' && download.bytesDone === download.bytesTotal);
    assert.deepEqual(
      events.slice(firstBuild).map((e) => e.phase === 'build' && [e.component, e.done, e.total]),
      [
        ['text_encoder', 0, 6],
        ['unet', 1, 6],
        ['vae_encoder', 2, 6],
        ['vae_decoder', 3, 6],
        ['taesd_encoder', 4, 6],
        ['taesd_decoder', 5, 6],
        ['done', 6, 6],
      ],
    );

    // The manifest lists what was built and is there, hashed; no weights came along.
    assert.equal(manifest.precision, 'fp32');
    assert.equal(manifest.source, 'catalog');
    const listed = manifest.files.map((f) => f.path);
    assert.deepEqual(listed, await listModelFiles(dir));
    for (const built of [
      'text_encoder/model.onnx',
      'unet/model.onnx',
      'vae_decoder/model.onnx',
      'taesd_encoder/model.onnx',
      'taesd_decoder/model.onnx',
      'tokenizer/vocab.json',
      'scheduler/scheduler_config.json',
    ]) {
      assert.ok(listed.includes(built), built);
    }
    assert.ok(!listed.some((p) => p.endsWith('.safetensors')), listed.join(', '));
    const unet = manifest.files.find((f) => f.path === 'unet/model.onnx')!;
    assert.equal(unet.sha256, await sha256File(path.join(dir, 'unet', 'model.onnx')));
    assert.equal(
      manifest.bytes,
      manifest.files.reduce((n, f) => n + f.size, 0),
    );
    // TAESD's latents need no scaling; the engine reads so from each half's config.
    for (const half of ['taesd_encoder', 'taesd_decoder']) {
      const config = JSON.parse(await readFile(path.join(dir, half, 'config.json'), 'utf8'));
      assert.deepEqual(config, { scaling_factor: 1 });
    }
    // The download and the staging folder are gone: only the model is left.
    assert.deepEqual(await readdir(path.join(dataDir, 'models')), [ID]);

    // The built full VAE path ends on diffusers' own latents; TAESD gives pixels.
    const engine = new Engine();
    t.after(() => engine.close());
    const cases = referenceCases(MODEL) as {
      prompt: string;
      img2img: { scheduler: SchedulerName; strength: number; steps: number; output: string }[];
    };
    const reference = cases.img2img[0]!;
    const image = await loadImageTensor(
      path.join(REFERENCE_DIR, MODEL, 'reference/image64.png'),
      64,
    );
    const request = {
      image,
      size: 64,
      prompt: cases.prompt,
      strength: reference.strength,
      steps: reference.steps,
      guidance: 0,
      seed: 0,
      scheduler: reference.scheduler,
      noise: readReferenceF32(MODEL, 'noise.f32'),
    };
    await engine.load({ dir, autoencoder: 'full' });
    const full = await engine.img2img(request);
    const error = relativeL2(full.latents, readReferenceF32(MODEL, reference.output));
    assert.ok(error <= 1e-4, `relative L2 ${error}`);
    await engine.load({ dir, autoencoder: 'tiny' });
    const tiny = await engine.img2img(request);
    assert.equal(tiny.image.length, 3 * 64 * 64);
    assert.ok(tiny.image.every(Number.isFinite));
  });

  test('a cancel mid-build installs nothing and leaves no staging folder; the next install builds from the kept download', async (t) => {
    const { dataDir, server, install } = await setup(t);
    const cancel = new AbortController();
    const installing = install({
      signal: cancel.signal,
      onProgress: (p) => {
        if (p.phase === 'build' && p.component === 'unet') cancel.abort();
      },
    });
    await assert.rejects(installing, (error: unknown) => {
      assert.ok(isModelError(error), String(error));
      assert.equal(error.code, 'ABORTED');
      assert.match(error.message, /cancelled/);
      return true;
    });
    assert.deepEqual(await listInstalled(dataDir), []);
    // Only the finished download is left (what `models remove` discards), lock released.
    assert.deepEqual(await readdir(path.join(dataDir, 'models')), [`.download-${ID}`]);
    await assert.rejects(stat(path.join(downloadDir(dataDir, ID), '.lock')), { code: 'ENOENT' });

    server.requests.length = 0;
    await install({});
    assert.deepEqual(server.requests, [], 'every file was already downloaded and checked');
    assert.deepEqual(await readdir(path.join(dataDir, 'models')), [ID]);
  });

  test('a catalogue entry with an unknown format is refused, naming the field', async (t) => {
    const { catalogFile } = await setup(t);
    const catalog = JSON.parse(await readFile(catalogFile, 'utf8'));
    catalog.models[0].format = 'gguf';
    await writeFile(catalogFile, JSON.stringify(catalog));
    await assert.rejects(loadCatalog(catalogFile), {
      code: 'CATALOG_INVALID',
      message:
        /models\[0\]\.format must be one of "onnx", "diffusers" \(default "onnx"\), got "gguf"/,
    });
  });
});
