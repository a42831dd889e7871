import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { imagesDir } from './data-folder.ts';
import { openStore } from './index.ts';
import { ManualClock, tempDataDir } from '../testing/store.ts';

const T0 = Date.UTC(2025, 5, 1, 12, 0, 0);
const PICTURE = Buffer.from('not really a picture, the store does not care');

function setup(t: Parameters<typeof tempDataDir>[0], settings = {}) {
  const dataDir = tempDataDir(t);
  const clock = new ManualClock(T0);
  const store = openStore({ dataDir, clock });
  t.after(() => store.close());
  store.updateSettings({ dailyRunLimit: 100, ...settings });
  const runId = store.startRun({ styles: ['anime', 'oil'], photoCount: 3 });
  const uploads = [1, 2, 3].map(() => store.saveImage(runId, 'upload', PICTURE));
  const avatars = [1, 2].map(() => store.saveImage(runId, 'avatar', PICTURE));
  return { dataDir, clock, store, runId, uploads, avatars };
}

const filesOnDisk = (dataDir: string) => fs.readdirSync(imagesDir(dataDir)).length;

test('a finished run is deleted 5 minutes after it ends, not a second before', (t) => {
  const { dataDir, clock, store, runId, avatars } = setup(t);
  clock.advance(90_000); // Generation takes a while; the countdown starts at the end.
  store.finishRun(runId);
  assert.deepEqual(store.countdown(), [
    {
      id: runId,
      status: 'finished',
      uploads: 3,
      avatars: 2,
      previews: 0,
      secondsUntilDeletion: 300,
    },
  ]);

  clock.advance(299_999);
  assert.equal(filesOnDisk(dataDir), 5);
  assert.equal(store.countdown()[0]?.secondsUntilDeletion, 1);
  assert.deepEqual(store.readImage(avatars[0]!), PICTURE);

  clock.advance(1); // The timer, not a manual sweep, does the deleting.
  assert.equal(filesOnDisk(dataDir), 0);
  assert.deepEqual(store.countdown(), []);
  assert.throws(() => store.readImage(avatars[0]!), { code: 'FILE_NOT_FOUND' });
  assert.deepEqual(store.deletionLog(), [
    {
      runId,
      at: T0 + 90_000 + 300_000,
      reason: 'scheduled',
      uploads: 3,
      avatars: 2,
      previews: 0,
      strays: 0,
    },
  ]);
});

test('the retention period is a setting, capped at 24 hours', (t) => {
  const { clock, store, runId } = setup(t, { retentionSeconds: 30 });
  store.finishRun(runId);
  assert.equal(store.countdown()[0]?.secondsUntilDeletion, 30);
  clock.advance(30_000);
  assert.deepEqual(store.countdown(), []);
  assert.throws(() => store.updateSettings({ retentionSeconds: 24 * 3600 + 1 }), {
    code: 'BAD_ARGUMENT',
  });
  assert.doesNotThrow(() => store.updateSettings({ retentionSeconds: 24 * 3600 }));
});

test('instant mode deletes uploads when the last avatar is made; avatars wait', (t) => {
  const { dataDir, clock, store, runId, uploads, avatars } = setup(t, { instantMode: true });
  store.finishRun(runId);
  assert.equal(filesOnDisk(dataDir), 2);
  assert.throws(() => store.readImage(uploads[0]!), { code: 'FILE_NOT_FOUND' });
  assert.deepEqual(store.readImage(avatars[1]!), PICTURE);
  assert.equal(store.deletionLog()[0]?.reason, 'instant');
  assert.equal(store.deletionLog()[0]?.uploads, 3);

  clock.advance(300_000);
  assert.equal(filesOnDisk(dataDir), 0);
});

for (const end of ['cancelRun', 'failRun'] as const) {
  test(`${end}: uploads are deleted at once, avatars already made follow the schedule`, (t) => {
    const { dataDir, clock, store, runId, avatars } = setup(t);
    store[end](runId);
    assert.equal(filesOnDisk(dataDir), 2);
    assert.deepEqual(store.readImage(avatars[0]!), PICTURE);
    assert.deepEqual(store.countdown(), [
      {
        id: runId,
        status: end === 'cancelRun' ? 'cancelled' : 'failed',
        uploads: 0,
        avatars: 2,
        previews: 0,
        secondsUntilDeletion: 300,
      },
    ]);
    assert.throws(() => store.saveImage(runId, 'avatar', PICTURE), { code: 'RUN_NOT_ACTIVE' });
    clock.advance(300_000);
    assert.equal(filesOnDisk(dataDir), 0);
  });
}

test('a run still going has no countdown yet', (t) => {
  const { store, runId } = setup(t);
  assert.deepEqual(store.countdown(), [
    {
      id: runId,
      status: 'running',
      uploads: 3,
      avatars: 2,
      previews: 0,
      secondsUntilDeletion: null,
    },
  ]);
});

test('deletions due while the app was closed happen at the next start, before anything else', (t) => {
  const { dataDir, clock, store, runId } = setup(t);
  store.finishRun(runId);
  store.close(); // Keys gone; the files wait for their time (a killed process is the same).

  clock.advance(60_000);
  const early = openStore({ dataDir, clock, sweepOnTimer: false });
  assert.equal(early.startupSweep.dueFiles, 0);
  assert.equal(early.countdown()[0]?.secondsUntilDeletion, 240);
  early.close();

  clock.advance(240_000);
  const late = openStore({ dataDir, clock, sweepOnTimer: false });
  t.after(() => late.close());
  assert.equal(late.startupSweep.dueFiles, 5);
  assert.equal(filesOnDisk(dataDir), 0);
});

test('a clock turned back does not postpone a deletion', (t) => {
  const { dataDir, clock, store, runId } = setup(t);
  store.finishRun(runId);
  clock.set(T0 - 3_600_000);
  store.sweep();
  assert.equal(filesOnDisk(dataDir), 0);
});

test('delete now removes one run at once, or every run', (t) => {
  const { dataDir, clock, store, runId } = setup(t);
  store.finishRun(runId);
  const second = store.startRun({ styles: ['anime'], photoCount: 3 });
  store.saveImage(second, 'upload', PICTURE);
  store.saveImage(second, 'preview', PICTURE);

  assert.deepEqual(store.deleteNow(runId), { runs: 1, files: 5 });
  assert.deepEqual(
    store.countdown().map((run) => run.id),
    [second],
  );
  assert.throws(() => store.deleteNow('no-such-run'), { code: 'RUN_NOT_FOUND' });

  // A run still going is cancelled, so its job cannot write into it afterwards.
  assert.deepEqual(store.deleteNow(), { runs: 1, files: 2 });
  assert.throws(() => store.saveImage(second, 'avatar', PICTURE), { code: 'RUN_NOT_ACTIVE' });
  assert.equal(filesOnDisk(dataDir), 0);
  assert.deepEqual(store.countdown(), []);
  assert.equal(store.deletionLog()[0]?.reason, 'user');
  clock.advance(600_000);
});

test('closing the app mid-run cancels the run: its uploads go at once', (t) => {
  const { dataDir, clock, store } = setup(t);
  store.close();
  assert.equal(filesOnDisk(dataDir), 2);
  const again = openStore({ dataDir, clock });
  t.after(() => again.close());
  assert.equal(again.countdown()[0]?.status, 'cancelled');
  clock.advance(300_000);
  assert.equal(filesOnDisk(dataDir), 0);
});
