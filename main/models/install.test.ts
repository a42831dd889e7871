import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { fixtureModel } from '../../scripts/fixtures/cache.ts';
import { tempDataDir } from '../testing/store.ts';
import { loadCatalog } from './catalog.ts';
import { downloadFiles, type DownloadProgress } from './download.ts';
import { isModelError, type ModelErrorCode } from './errors.ts';
import { downloadDir, installFromCatalog, type InstallOptions } from './install.ts';
import { listInstalled } from './registry.ts';
import {
  serveFolder,
  writeCatalogFor,
  type Faults,
  type ModelServer,
} from '../testing/model-server.ts';

const ID = 'fixture-turbo';
const UNET = 'unet/model.onnx';

/** A data folder, a server with `faults` serving the turbo fixture, and its catalogue. */
async function setup(t: TestContext, faults: Faults = {}) {
  const dataDir = tempDataDir(t);
  const source = await fixtureModel('turbo');
  const server = await serveFolder(source, faults);
  t.after(() => server.close());
  const catalogFile = path.join(dataDir, 'catalog.json');
  await writeCatalogFor(catalogFile, ID, source, server.baseUrl);
  const catalog = await loadCatalog(catalogFile);
  const install = (extra: Partial<InstallOptions> = {}) =>
    installFromCatalog({ dataDir, catalog, id: ID, retryDelayMs: 10, ...extra });
  return { dataDir, source, server, install };
}

async function rejectsWith(promise: Promise<unknown>, code: ModelErrorCode, pattern: RegExp) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isModelError(error), `expected a ModelError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.match(error.message, pattern);
    return true;
  });
}

const rangesFor = (server: ModelServer, file: string) =>
  server.requests.filter((r) => r.file === file).map((r) => r.range);

describe('install from a catalogue served on 127.0.0.1', () => {
  test('downloads every file, checks hashes, validates and installs atomically', async (t) => {
    const { dataDir, source, install } = await setup(t);
    const events: DownloadProgress[] = [];
    const { manifest, dir } = await install({
      onProgress: (p) => {
        assert.equal(p.phase, 'download', 'an ONNX entry has nothing to build');
        if (p.phase === 'download') events.push(p);
      },
    });

    assert.equal(manifest.id, ID);
    assert.equal(manifest.source, 'catalog');
    assert.equal(manifest.precision, 'fp32');
    assert.equal(dir, path.join(dataDir, 'models', ID));
    const unet = manifest.files.find((f) => f.path === UNET)!;
    assert.deepEqual(await readFile(path.join(dir, UNET)), await readFile(path.join(source, UNET)));
    assert.equal(
      unet.sha256,
      createHash('sha256')
        .update(await readFile(path.join(source, UNET)))
        .digest('hex'),
    );
    const last = events.at(-1)!;
    assert.equal(last.bytesDone, last.bytesTotal);
    assert.equal(last.bytesTotal, manifest.bytes);
    assert.equal(last.filesDone, manifest.files.length);
    assert.ok(events.every((e) => e.speed >= 0 && (e.etaSeconds === null || e.etaSeconds >= 0)));
    // Nothing is left beside the installed folder.
    assert.deepEqual(await readdir(path.join(dataDir, 'models')), [ID]);
    await rejectsWith(install(), 'ALREADY_INSTALLED', /already installed/);
  });

  test('resumes a .part file left by an earlier run with an HTTP Range request', async (t) => {
    const { dataDir, source, server, install } = await setup(t);
    const bytes = await readFile(path.join(source, UNET));
    const half = bytes.length >> 1;
    await mkdir(path.join(downloadDir(dataDir, ID), 'unet'), { recursive: true });
    await writeFile(path.join(downloadDir(dataDir, ID), `${UNET}.part`), bytes.subarray(0, half));

    const { dir } = await install();
    assert.deepEqual(rangesFor(server, UNET), [`bytes=${half}-`]);
    assert.deepEqual(await readFile(path.join(dir, UNET)), bytes);
  });

  test('a connection dropped mid-file is retried from where it stopped', async (t) => {
    const { source, server, install } = await setup(t, {
      dropOnce: { file: UNET, afterBytes: 100_000 },
    });
    const { dir } = await install();
    const ranges = rangesFor(server, UNET);
    assert.equal(ranges.length, 2);
    assert.equal(ranges[0], undefined);
    assert.match(ranges[1]!, /^bytes=[1-9]\d*-$/);
    assert.deepEqual(await readFile(path.join(dir, UNET)), await readFile(path.join(source, UNET)));
  });

  test('a server that ignores Range gets the file again from the start', async (t) => {
    const { dataDir, source, install } = await setup(t, { ignoreRange: true });
    const bytes = await readFile(path.join(source, UNET));
    await mkdir(path.join(downloadDir(dataDir, ID), 'unet'), { recursive: true });
    await writeFile(path.join(downloadDir(dataDir, ID), `${UNET}.part`), bytes.subarray(0, 1000));
    const { dir } = await install();
    assert.deepEqual(await readFile(path.join(dir, UNET)), bytes);
  });

  test('wrong bytes are a hash mismatch naming the file and both hashes; nothing installs', async (t) => {
    const { dataDir, install } = await setup(t, { corrupt: new Set([UNET]) });
    await rejectsWith(
      install(),
      'HASH_MISMATCH',
      /unet\/model\.onnx is corrupt: SHA-256 [0-9a-f]{64}, expected [0-9a-f]{64}/,
    );
    assert.deepEqual(await listInstalled(dataDir), []);
    // The bad bytes are gone, so the next attempt cannot resume onto them.
    await assert.rejects(stat(path.join(downloadDir(dataDir, ID), `${UNET}.part`)), {
      code: 'ENOENT',
    });
  });

  test('a 404 names the URL', async (t) => {
    const { dataDir, install } = await setup(t, { missing: new Set([UNET]) });
    await rejectsWith(
      install(),
      'NOT_FOUND',
      /http:\/\/127\.0\.0\.1:\d+\/unet\/model\.onnx was not found/,
    );
    assert.deepEqual(await listInstalled(dataDir), []);
  });

  test('an unreachable server reads as offline', async (t) => {
    const dataDir = tempDataDir(t);
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const catalogFile = path.join(dataDir, 'catalog.json');
    await writeCatalogFor(
      catalogFile,
      ID,
      await fixtureModel('turbo'),
      `http://127.0.0.1:${port}/`,
    );
    const catalog = await loadCatalog(catalogFile);
    await rejectsWith(installFromCatalog({ dataDir, catalog, id: ID }), 'OFFLINE', /offline/);
  });

  test('too little free disk is refused before any byte is requested', async (t) => {
    const { dataDir, server, install } = await setup(t);
    await rejectsWith(
      install({ freeBytes: async () => 1000 }),
      'DISK_FULL',
      /needs [\d.]+ MB more, 1\.0 KB is free/,
    );
    assert.deepEqual(server.requests, []);
    assert.deepEqual(await listInstalled(dataDir), []);
  });

  test('cancel stops the download, installs nothing, and the next install resumes', async (t) => {
    const { dataDir, server, install } = await setup(t, { slowBytesPerTick: 16_384 });
    const cancel = new AbortController();
    const installing = install({
      concurrency: 1,
      signal: cancel.signal,
      onProgress: (p) => {
        if (p.phase === 'download' && p.bytesDone > 200_000) cancel.abort();
      },
    });
    await rejectsWith(installing, 'ABORTED', /cancelled/);
    assert.deepEqual(await listInstalled(dataDir), []);

    delete server.faults.slowBytesPerTick;
    server.requests.length = 0;
    await install();
    assert.ok(
      server.requests.some((r) => r.range !== undefined && r.range !== 'bytes=0-'),
      'the second install resumed a file',
    );
    assert.deepEqual(
      (await listInstalled(dataDir)).map((m) => m.manifest.id),
      [ID],
    );
  });
});

test('small files the hub keeps in git are checked by their git blob id', async (t) => {
  const dir = tempDataDir(t);
  const content = Buffer.from('{"_class_name": "EulerDiscreteScheduler"}\n');
  await writeFile(path.join(dir, 'config.json'), content);
  const server = await serveFolder(dir);
  t.after(() => server.close());
  const blobId = (bytes: Buffer) =>
    createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
  const file = (name: string, expected: string) => ({
    url: `${server.baseUrl}config.json`,
    dest: path.join(dir, 'out', name),
    name,
    size: content.length,
    expected: { gitBlobSha1: expected },
  });

  const hashes = await downloadFiles([file('good.json', blobId(content))]);
  assert.equal(hashes.get('good.json'), createHash('sha256').update(content).digest('hex'));
  await rejectsWith(
    downloadFiles([file('bad.json', blobId(Buffer.from('other')))]),
    'HASH_MISMATCH',
    /bad\.json is corrupt: git blob SHA-1/,
  );
});
