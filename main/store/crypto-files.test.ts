import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { imagesDir } from './data-folder.ts';
import { openStore } from './index.ts';
import {
  KNOWN_PIXEL_RUN,
  findPlaintextImages,
  sampleImages,
  tempDataDir,
} from '../testing/store.ts';

test('no plaintext image bytes exist anywhere under the data folder while a run is live', async (t) => {
  const images = await sampleImages();
  assert.ok(images.png.includes(KNOWN_PIXEL_RUN), 'the sample PNG must carry the pixel run');

  const dataDir = tempDataDir(t);
  const store = openStore({ dataDir });
  t.after(() => store.close());
  const runId = store.startRun({ styles: ['anime'], photoCount: 3 });
  const ids = [
    store.saveImage(runId, 'upload', images.png),
    store.saveImage(runId, 'upload', images.jpeg),
    store.saveImage(runId, 'upload', images.webp),
    store.saveImage(runId, 'preview', images.png),
    store.saveImage(runId, 'avatar', images.png),
  ];

  assert.deepEqual(findPlaintextImages(dataDir), []);
  assert.deepEqual(store.readImage(ids[0]!), images.png);
  assert.deepEqual(store.readImage(ids[2]!), images.webp);

  // The scan is not blind: a plain copy dropped in the folder is found.
  fs.writeFileSync(path.join(dataDir, 'leak'), images.png);
  assert.deepEqual(findPlaintextImages(dataDir), ['leak: PNG', 'leak: known pixel run']);
});

test('file names are random and say nothing of the run or the image id', (t) => {
  const dataDir = tempDataDir(t);
  const store = openStore({ dataDir });
  t.after(() => store.close());
  const runId = store.startRun({ styles: ['anime'], photoCount: 3 });
  const id = store.saveImage(runId, 'avatar', Buffer.from('x'));
  const [name] = fs.readdirSync(imagesDir(dataDir));
  assert.match(name!, /^[0-9a-f]{32}$/);
  assert.ok(!name!.includes(id.replaceAll('-', '')) && !name!.includes(runId.replaceAll('-', '')));
});

test('a file altered or swapped on disk is refused, not shown', (t) => {
  const dataDir = tempDataDir(t);
  const store = openStore({ dataDir });
  t.after(() => store.close());
  const runId = store.startRun({ styles: ['anime'], photoCount: 3 });
  const first = store.saveImage(runId, 'avatar', Buffer.from('first picture'));
  const second = store.saveImage(runId, 'avatar', Buffer.from('second picture'));
  const [a, b] = fs
    .readdirSync(imagesDir(dataDir))
    .map((name) => path.join(imagesDir(dataDir), name));
  const bytesA = fs.readFileSync(a!);
  fs.writeFileSync(a!, fs.readFileSync(b!));
  fs.writeFileSync(b!, bytesA);
  assert.throws(() => store.readImage(first), { code: 'FILE_UNREADABLE' });
  assert.throws(() => store.readImage(second), { code: 'FILE_UNREADABLE' });
});

test('keys live only in memory: another session cannot read what this one wrote', (t) => {
  const dataDir = tempDataDir(t);
  const first = openStore({ dataDir });
  const runId = first.startRun({ styles: ['anime'], photoCount: 3 });
  const avatar = first.saveImage(runId, 'avatar', Buffer.from('a picture'));
  first.finishRun(runId);
  first.close();

  const second = openStore({ dataDir });
  t.after(() => second.close());
  assert.equal(second.countdown()[0]?.avatars, 1, 'still on disk, waiting for its deletion');
  assert.throws(() => second.readImage(avatar), { code: 'FILE_UNREADABLE', message: /key/ });
});
