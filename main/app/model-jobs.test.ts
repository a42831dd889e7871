/**
 * Getting a model through the api, on real files with real builds: catalogue installs from a
 * server on 127.0.0.1, a checkpoint or diffusers folder uploaded as the loopback host's page does
 * it, or picked as Electron's dialog does it; and what a cancel, a corrupt file or a full disk
 * leave behind (nothing).
 */
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { fixtureModel } from '../../scripts/fixtures/cache.ts';
import type {
  ApiErrorCode,
  ModelFinishedEvent,
  ModelProgressEvent,
  ModelUpload,
} from '../api/contract.ts';
import { listModelFiles } from '../models/manifest.ts';
import { listInstalled } from '../models/registry.ts';
import { serveFolder, writeCatalogFor, type Faults } from '../testing/model-server.ts';
import { tempDataDir } from '../testing/store.ts';
import type { AppService, AppServiceOptions } from './app-service.ts';
import { createAppService } from './create-app-service.ts';
import { ModelUploadReceiver } from './model-upload.ts';

const TINY = fileURLToPath(
  new URL('../../scripts/fixtures/diffusers-reference/sd1-tiny/', import.meta.url),
);
const CHECKPOINT = path.join(TINY, 'checkpoint.safetensors');
const DIFFUSERS = path.join(TINY, 'diffusers');
const CATALOG_ID = 'fixture-turbo';

interface Harness {
  service: AppService;
  dataDir: string;
  /** Every model:progress of a job so far. */
  progress(jobId: string): ModelProgressEvent[];
  finished(jobId: string): Promise<ModelFinishedEvent>;
  /** The next model:progress that passes `test`. */
  progressWhere(test: (event: ModelProgressEvent) => boolean): Promise<ModelProgressEvent>;
  call<M extends keyof AppService['handlers']>(
    method: M,
    params: Parameters<AppService['handlers'][M]>[0],
  ): ReturnType<AppService['handlers'][M]>;
}

async function harness(t: TestContext, options: AppServiceOptions = {}): Promise<Harness> {
  const dataDir = tempDataDir(t);
  const service = await createAppService({ dataDir, provider: 'cpu', size: 64, ...options });
  t.after(() => service.close());
  const progress: ModelProgressEvent[] = [];
  const ended = new Map<string, ModelFinishedEvent>();
  const waiting: (() => void)[] = [];
  service.subscribe((event, payload) => {
    if (event === 'model:progress') progress.push(payload as ModelProgressEvent);
    if (event === 'model:finished') {
      const finished = payload as ModelFinishedEvent;
      ended.set(finished.jobId, finished);
    }
    for (const wake of waiting.splice(0)) wake();
  });
  const until = async <T>(found: () => T | undefined): Promise<T> => {
    for (;;) {
      const value = found();
      if (value !== undefined) return value;
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
  };
  return {
    service,
    dataDir,
    progress: (jobId) => progress.filter((event) => event.jobId === jobId),
    finished: (jobId) => until(() => ended.get(jobId)),
    progressWhere: (test) => {
      const seen = progress.length;
      return until(() => progress.slice(seen).find(test));
    },
    call: (method, params) =>
      (service.handlers[method] as (params: unknown) => never)(params) as never,
  };
}

async function rejectsWith(pending: Promise<unknown>, code: ApiErrorCode, message: RegExp) {
  await assert.rejects(pending, (error: { code: string; message: string }) => {
    assert.equal(error.code, code, error.message);
    assert.match(error.message, message);
    return true;
  });
}

/** What is left in the models folder: installed models, and any staging or download folder. */
const modelsFolder = (dataDir: string) =>
  readdir(path.join(dataDir, 'models')).catch(() => [] as string[]);

/** An upload's declaration: its files as [relative path, bytes]. */
const uploadOf = (
  name: string,
  kind: ModelUpload['kind'],
  files: [string, number][],
): ModelUpload => ({ name, kind, files: files.map(([path, bytes]) => ({ path, bytes })) });

const checkpointUpload = (bytes: number, name = 'dream v8.safetensors') =>
  uploadOf(name, 'checkpoint', [['checkpoint.safetensors', bytes]]);

/** Streams a file as the host's upload route does (the request is a stream, never a buffer). */
function send(h: Harness, jobId: string, relative: string, file: string, bytes: number) {
  return h.service.receiveModelFile(jobId, relative, bytes, createReadStream(file));
}

async function uploadCheckpoint(h: Harness, file = CHECKPOINT, name?: string) {
  const { size } = await stat(file);
  const started = await h.call('models:add', { upload: checkpointUpload(size, name) });
  assert.ok(started);
  await send(h, started.jobId, 'checkpoint.safetensors', file, size);
  return started.jobId;
}

describe('the catalogue', () => {
  async function catalogued(t: TestContext, faults: Faults = {}, options: AppServiceOptions = {}) {
    const model = await fixtureModel('turbo');
    const server = await serveFolder(model, faults);
    t.after(() => server.close());
    const catalog = path.join(tempDataDir(t), 'catalog.json');
    await writeCatalogFor(catalog, CATALOG_ID, model, server.baseUrl);
    return harness(t, { catalog, ...options });
  }

  test('lists each model with its size and licence, installs it with progress, makes it the default', async (t) => {
    const h = await catalogued(t);
    const [entry, ...others] = await h.call('models:catalog', {});
    assert.equal(others.length, 0);
    assert.deepEqual(
      { ...entry, bytes: typeof entry?.bytes },
      {
        id: CATALOG_ID,
        name: `Fixture ${CATALOG_ID}`,
        family: 'turbo',
        bytes: 'number',
        licence: { text: 'MIT' },
        addons: [],
        installed: false,
      },
    );
    assert.equal((await h.call('app:status', {})).model, null);

    const { jobId } = await h.call('models:install', { id: CATALOG_ID });
    assert.deepEqual((await h.call('app:status', {})).modelJob, {
      jobId,
      kind: 'install',
      catalogId: CATALOG_ID,
      name: `Fixture ${CATALOG_ID}`,
    });
    const finished = await h.finished(jobId);
    assert.equal(finished.ok, true, finished.error?.message);
    assert.equal(finished.model?.id, CATALOG_ID);
    assert.equal(finished.model?.isDefault, true);

    const downloads = h.progress(jobId).filter((p) => p.phase === 'download');
    assert.ok(downloads.length > 0);
    assert.equal(downloads.at(-1)?.fraction, 1);
    assert.equal(downloads.at(-1)?.done, entry?.bytes);
    assert.match(downloads[0]!.label, /^Downloading Fixture fixture-turbo$/);

    const status = await h.call('app:status', {});
    assert.equal(status.model?.id, CATALOG_ID);
    assert.equal(status.modelJob, null);
    assert.equal((await h.call('models:catalog', {}))[0]?.installed, true);
    assert.deepEqual(await modelsFolder(h.dataDir), [CATALOG_ID]);
    await rejectsWith(h.call('models:install', { id: CATALOG_ID }), 'BAD_REQUEST', /installed/);
    await rejectsWith(h.call('models:install', { id: 'nope' }), 'NOT_FOUND', /fixture-turbo/);
  });

  test('one job at a time; a cancelled download leaves nothing on disk', async (t) => {
    const h = await catalogued(t, { slowBytesPerTick: 4 * 1024 });
    const { jobId } = await h.call('models:install', { id: CATALOG_ID });
    await h.progressWhere((p) => p.jobId === jobId && p.phase === 'download' && p.done > 0);
    await rejectsWith(
      h.call('models:install', { id: CATALOG_ID }),
      'MODEL_JOB_IN_PROGRESS',
      /Fixture fixture-turbo is being installed/,
    );
    await rejectsWith(
      h.call('models:add', { upload: checkpointUpload(10) }),
      'MODEL_JOB_IN_PROGRESS',
      /wait for it to finish or cancel it/,
    );

    assert.equal(await h.call('models:cancel', { jobId }), null);
    const finished = await h.finished(jobId);
    assert.equal(finished.ok, false);
    assert.equal(finished.error?.code, 'CANCELLED');
    assert.match(finished.error!.message, /nothing of Fixture fixture-turbo was kept/);
    assert.deepEqual(await modelsFolder(h.dataDir), []);
    assert.deepEqual(await listInstalled(h.dataDir), []);
    assert.equal((await h.call('app:status', {})).modelJob, null);
    // Over is over: a second cancel is fine.
    assert.equal(await h.call('models:cancel', { jobId }), null);
  });

  test('a full disk is refused before the download, naming no path', async (t) => {
    const h = await catalogued(t, {}, { freeBytes: async () => 1000 });
    const { jobId } = await h.call('models:install', { id: CATALOG_ID });
    const { error } = await h.finished(jobId);
    assert.equal(error?.code, 'STORAGE');
    assert.match(error!.message, /not enough free space in the data folder: the download needs/);
    assert.ok(!error!.message.includes(h.dataDir), error!.message);
  });

  test('an unreachable server is a download failure, and the page may try again', async (t) => {
    const h = await catalogued(t, { missing: new Set(['unet/model.onnx']) });
    const { jobId } = await h.call('models:install', { id: CATALOG_ID });
    const { error } = await h.finished(jobId);
    assert.equal(error?.code, 'DOWNLOAD_FAILED', error?.message);
    assert.equal((await h.call('app:status', {})).modelJob, null);
  });
});

describe('a model the user adds', () => {
  test('an uploaded checkpoint is built, installed and becomes the default; its upload is gone', async (t) => {
    const h = await harness(t, { modelUploads: true });
    const jobId = await uploadCheckpoint(h);
    const finished = await h.finished(jobId);
    assert.equal(finished.ok, true, finished.error?.message);
    assert.equal(finished.model?.name, 'dream v8');
    assert.equal(finished.model?.id, 'dream-v8');
    assert.equal(finished.model?.family, 'sd15');
    assert.equal(finished.model?.isDefault, true);

    const phases = h.progress(jobId).map((p) => p.phase);
    const steps = phases.filter((phase, i) => phase !== phases[i - 1]);
    assert.deepEqual(steps, ['upload', 'check', 'build', 'check']);
    const upload = h.progress(jobId).filter((p) => p.phase === 'upload');
    assert.equal(upload.at(-1)?.done, (await stat(CHECKPOINT)).size);
    assert.equal(upload.at(-1)?.fraction, 1);
    assert.ok(h.progress(jobId).some((p) => p.label === 'Building the UNet (2 of 4)'));

    assert.equal((await h.call('app:status', {})).model?.id, 'dream-v8');
    // Only the model: the uploaded checkpoint and the build's staging folder are gone.
    assert.deepEqual(await modelsFolder(h.dataDir), ['dream-v8']);
  });

  test('an uploaded diffusers folder, file by file; a second model does not take the default', async (t) => {
    const h = await harness(t, { modelUploads: true });
    const first = await h.finished(await uploadCheckpoint(h));
    assert.equal(first.ok, true, first.error?.message);

    const files = await listModelFiles(DIFFUSERS);
    const sizes = await Promise.all(files.map((f) => stat(path.join(DIFFUSERS, f))));
    const upload = uploadOf(
      'sd1 tiny',
      'folder',
      files.map((f, i) => [f, sizes[i]!.size]),
    );
    const started = await h.call('models:add', { upload });
    assert.ok(started);
    for (const { path: relative, bytes } of upload.files) {
      await send(h, started.jobId, relative, path.join(DIFFUSERS, relative), bytes);
    }
    const finished = await h.finished(started.jobId);
    assert.equal(finished.ok, true, finished.error?.message);
    assert.equal(finished.model?.id, 'sd1-tiny');
    assert.equal(finished.model?.isDefault, false);
    assert.deepEqual((await modelsFolder(h.dataDir)).sort(), ['dream-v8', 'sd1-tiny']);
  });

  test('cancel mid-build leaves no model, no staging folder and no upload', async (t) => {
    const h = await harness(t, { modelUploads: true });
    const building = h.progressWhere((p) => p.phase === 'build');
    const jobId = await uploadCheckpoint(h);
    await building;
    await h.call('models:cancel', { jobId });
    const finished = await h.finished(jobId);
    assert.equal(finished.error?.code, 'CANCELLED');
    assert.deepEqual(await modelsFolder(h.dataDir), []);
    assert.deepEqual(await listInstalled(h.dataDir), []);
    assert.equal((await h.call('app:status', {})).model, null);
  });

  test('cancel mid-upload stops the file being written and removes it', async (t) => {
    const h = await harness(t, { modelUploads: true });
    const started = await h.call('models:add', { upload: checkpointUpload(10_000_000) });
    assert.ok(started);
    // A sender that stalls after its first megabyte, as a slow page would.
    const body = new Readable({ read() {} });
    body.push(Buffer.alloc(1_000_000));
    const receiving = rejectsWith(
      h.service.receiveModelFile(started.jobId, 'checkpoint.safetensors', 10_000_000, body),
      'CANCELLED',
      /The upload of dream v8\.safetensors was stopped/,
    );
    await h.progressWhere((p) => p.phase === 'upload' && p.done === 1_000_000);
    await h.call('models:cancel', { jobId: started.jobId });
    await receiving;
    assert.equal((await h.finished(started.jobId)).error?.code, 'CANCELLED');
    assert.deepEqual(await modelsFolder(h.dataDir), []);
    await rejectsWith(
      send(h, started.jobId, 'checkpoint.safetensors', CHECKPOINT, 10_000_000),
      'NOT_FOUND',
      /No upload .* is waiting/,
    );
  });

  test('a corrupt .safetensors is refused with its message, naming the file, not a path', async (t) => {
    const h = await harness(t, { modelUploads: true });
    const corrupt = path.join(tempDataDir(t), 'cut.safetensors');
    await writeFile(corrupt, (await readFile(CHECKPOINT)).subarray(0, 5000));
    const finished = await h.finished(await uploadCheckpoint(h, corrupt, 'cut.safetensors'));
    assert.equal(finished.ok, false);
    assert.equal(finished.error?.code, 'MODEL_INVALID');
    assert.equal(
      finished.error?.message,
      'cut.safetensors: its header claims 75768 bytes, more than the file holds or a header needs',
    );
    assert.deepEqual(await modelsFolder(h.dataDir), []);
  });

  test('a full disk is refused before a byte is sent', async (t) => {
    const h = await harness(t, { modelUploads: true, freeBytes: async () => 5_000_000 });
    await rejectsWith(
      h.call('models:add', { upload: checkpointUpload(12_000_000) }),
      'STORAGE',
      /^Not enough free space for dream v8\.safetensors: it needs 12\.0 MB, the disk holding Avatar Studio's data has 5\.0 MB free\.$/,
    );
    assert.equal((await h.call('app:status', {})).modelJob, null);
    assert.deepEqual(await modelsFolder(h.dataDir), []);
  });

  test('a file that was not declared, sent twice or of another length ends the upload', async (t) => {
    const h = await harness(t, { modelUploads: true });
    const { size } = await stat(CHECKPOINT);
    const cases: [string, number, RegExp][] = [
      [
        'other.safetensors',
        size,
        /other\.safetensors is not one of the files this upload declared/,
      ],
      ['checkpoint.safetensors', size - 1, /is \d+ bytes long, not the \d+ bytes declared/],
    ];
    for (const [relative, bytes, message] of cases) {
      const started = await h.call('models:add', { upload: checkpointUpload(size) });
      assert.ok(started);
      await rejectsWith(
        send(h, started.jobId, relative, CHECKPOINT, bytes),
        'BAD_REQUEST',
        message,
      );
      const finished = await h.finished(started.jobId);
      assert.match(finished.error!.message, message);
    }
    const folder = uploadOf('f', 'folder', [
      ['model_index.json', 2],
      ['unet/config.json', 2],
    ]);
    const twice = await h.call('models:add', { upload: folder });
    assert.ok(twice);
    const json = () => Readable.from([Buffer.from('{}')]);
    await h.service.receiveModelFile(twice.jobId, 'model_index.json', 2, json());
    await rejectsWith(
      h.service.receiveModelFile(twice.jobId, 'model_index.json', 2, json()),
      'BAD_REQUEST',
      /model_index\.json was sent already/,
    );
    assert.match((await h.finished(twice.jobId)).error!.message, /sent already/);
    // A body longer than it said is cut at the declared length and refused.
    const started = await h.call('models:add', { upload: checkpointUpload(100) });
    assert.ok(started);
    await rejectsWith(
      send(h, started.jobId, 'checkpoint.safetensors', CHECKPOINT, 100),
      'TOO_LARGE',
      /larger than declared/,
    );
    assert.equal((await h.finished(started.jobId)).error?.code, 'TOO_LARGE');
    assert.deepEqual(await modelsFolder(h.dataDir), []);
  });

  test('a checkpoint upload is one .safetensors file', async (t) => {
    const h = await harness(t, { modelUploads: true });
    const two = uploadOf('two', 'checkpoint', [
      ['a.safetensors', 1],
      ['b.safetensors', 1],
    ]);
    await rejectsWith(h.call('models:add', { upload: two }), 'BAD_REQUEST', /one \.safetensors/);
  });

  test('Electron: the dialog picks, the main process imports; closing it starts nothing', async (t) => {
    let answer: string | null = null;
    const h = await harness(t, { pickModel: async () => answer });
    assert.equal(await h.call('models:add', { pick: 'file' }), null);
    assert.equal((await h.call('app:status', {})).modelJob, null);

    answer = CHECKPOINT;
    const started = await h.call('models:add', { pick: 'file' });
    assert.ok(started);
    const finished = await h.finished(started.jobId);
    assert.equal(finished.ok, true, finished.error?.message);
    assert.equal(finished.model?.name, 'checkpoint');
    // An upload is the loopback host's way, refused here.
    await rejectsWith(
      h.call('models:add', { upload: checkpointUpload(1) }),
      'BAD_REQUEST',
      /own dialog/,
    );
  });

  test('Electron: a picked folder that is no model is refused by its name, not its path', async (t) => {
    const h = await harness(t, { pickModel: async () => path.join(DIFFUSERS, 'tokenizer') });
    const started = await h.call('models:add', { pick: 'folder' });
    assert.ok(started);
    const { error } = await h.finished(started.jobId);
    assert.equal(error?.code, 'MODEL_INVALID');
    assert.ok(!error!.message.includes(DIFFUSERS), error!.message);
    assert.match(error!.message, /tokenizer/);
  });

  test('the loopback host has no dialog', async (t) => {
    const h = await harness(t, { modelUploads: true });
    await rejectsWith(h.call('models:add', { pick: 'folder' }), 'BAD_REQUEST', /no file dialog/);
  });

  test('an upload nothing is sent to ends after its idle time', async (t) => {
    const dir = tempDataDir(t);
    const receiver = new ModelUploadReceiver(dir, checkpointUpload(10), {
      signal: new AbortController().signal,
      idleMs: 50,
      onBytes: () => {},
    });
    await rejectsWith(receiver.complete, 'BAD_REQUEST', /nothing arrived for 0 s/);
  });
});
