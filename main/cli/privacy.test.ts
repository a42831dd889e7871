import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { databasePath, imagesDir } from '../store/data-folder.ts';
import { openStore } from '../store/index.ts';
import { ManualClock, tempDataDir } from '../testing/store.ts';

const CLI = fileURLToPath(new URL('./privacy.ts', import.meta.url));
const PICTURE = Buffer.from('picture');

function privacy(dataDir: string, ...args: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], {
    env: { ...process.env, AVATAR_STUDIO_DATA: dataDir },
    encoding: 'utf8',
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr.trim() };
}

/** A store with a finished run (1 upload, 2 avatars) and a run still going (1 upload). */
function storeWithRuns(t: Parameters<typeof tempDataDir>[0]) {
  const dataDir = tempDataDir(t);
  const store = openStore({ dataDir });
  t.after(() => store.close());
  store.updateSettings({ dailyRunLimit: 5 });
  const finished = store.startRun({ styles: ['anime'], photoCount: 3 });
  store.saveImage(finished, 'upload', PICTURE);
  store.saveImage(finished, 'avatar', PICTURE);
  const avatar = store.saveImage(finished, 'avatar', PICTURE);
  store.finishRun(finished);
  const running = store.startRun({ styles: ['oil'], photoCount: 3 });
  store.saveImage(running, 'upload', PICTURE);
  return { dataDir, store, finished, running, avatar };
}

test('status on a fresh data folder prints an empty list', (t) => {
  const dataDir = tempDataDir(t);
  assert.deepEqual(privacy(dataDir, 'status'), {
    code: 0,
    stdout: 'No runs on disk.\n',
    stderr: '',
  });
  const json = privacy(dataDir, 'status', '--json');
  assert.equal(json.code, 0);
  assert.deepEqual(JSON.parse(json.stdout), { runs: [] });
});

test('status --json lists each run on disk with its files and seconds until deletion', (t) => {
  // The app holds the running run open in this process; the CLI must not take it for a crash.
  const { dataDir, finished, running } = storeWithRuns(t);
  const result = privacy(dataDir, 'status', '--json');
  assert.equal(result.code, 0, result.stderr);
  const { runs } = JSON.parse(result.stdout) as {
    runs: { id: string; secondsUntilDeletion: number | null }[];
  };
  const countdown = runs[0]!.secondsUntilDeletion!;
  assert.ok(countdown > 0 && countdown <= 300, `countdown ${countdown}`);
  assert.deepEqual(runs, [
    {
      id: finished,
      status: 'finished',
      uploads: 1,
      avatars: 2,
      previews: 0,
      secondsUntilDeletion: countdown,
    },
    {
      id: running,
      status: 'running',
      uploads: 1,
      avatars: 0,
      previews: 0,
      secondsUntilDeletion: null,
    },
  ]);
  assert.match(
    privacy(dataDir, 'status').stdout,
    new RegExp(`^${finished}  finished  1 uploads, 2 avatars, 0 previews  deleted in [45] min`),
  );
});

test('status sweeps first: what is due is deleted before the list is made', (t) => {
  const dataDir = tempDataDir(t);
  const store = openStore({ dataDir, clock: new ManualClock(Date.now() - 600_000) });
  const runId = store.startRun({ styles: ['anime'], photoCount: 3 });
  store.saveImage(runId, 'avatar', PICTURE);
  store.finishRun(runId); // Due five minutes ago by the real clock.
  store.close();
  assert.equal(fs.readdirSync(imagesDir(dataDir)).length, 1);
  assert.deepEqual(JSON.parse(privacy(dataDir, 'status', '--json').stdout), { runs: [] });
  assert.deepEqual(fs.readdirSync(imagesDir(dataDir)), []);
});

test('delete-now deletes one run, then all', (t) => {
  const { dataDir, store, finished, running, avatar } = storeWithRuns(t);
  assert.deepEqual(privacy(dataDir, 'delete-now', finished), {
    code: 0,
    stdout: 'Deleted 3 files of 1 run.\n',
    stderr: '',
  });
  assert.throws(() => store.readImage(avatar), { code: 'FILE_NOT_FOUND' });
  assert.deepEqual(
    store.countdown().map((run) => run.id),
    [running],
  );
  assert.equal(privacy(dataDir, 'delete-now').stdout, 'Deleted 1 file of 1 run.\n');
  assert.deepEqual(store.countdown(), []);
  assert.deepEqual(fs.readdirSync(imagesDir(dataDir)), []);
});

test('errors end with a non-zero exit and one line', (t) => {
  const dataDir = tempDataDir(t);
  const unknown = privacy(dataDir, 'delete-now', 'no-such-run');
  assert.deepEqual(unknown, { code: 1, stdout: '', stderr: 'privacy: No run "no-such-run".' });

  const usage = privacy(dataDir, 'frobnicate');
  assert.equal(usage.code, 2);
  assert.equal(usage.stderr.split('\n').length, 1);

  fs.writeFileSync(databasePath(dataDir), 'not a database');
  for (const args of [['status'], ['delete-now']]) {
    const corrupt = privacy(dataDir, ...args);
    assert.equal(corrupt.code, 1);
    assert.match(corrupt.stderr, /^privacy: The database .* is damaged .*left untouched/);
    assert.equal(corrupt.stderr.split('\n').length, 1);
  }
});
