import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { databasePath, imagesDir } from './data-folder.ts';
import { openStore } from './index.ts';
import { isOwnerAlive, ownersDir } from './owners.ts';
import { findPlaintextImages, integrityCheck, tempDataDir } from '../testing/store.ts';

const JOB = fileURLToPath(new URL('../testing/crash-job.ts', import.meta.url));

/** Reads the job's stdout until it prints `line`. */
async function until(child: ChildProcess, line: string): Promise<void> {
  for await (const printed of createInterface({ input: child.stdout! })) {
    if (printed === line) return;
  }
  throw new Error(`the job ended before printing "${line}"`);
}

/**
 * Whether PID is a zombie: exited, not reaped. The leader of a threaded process (node) shows "Z"
 * while its other threads still exit, holding its files; only when they are gone is it one.
 */
function isZombie(pid: number): boolean {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  return state === 'Z' && fs.readdirSync(`/proc/${pid}/task`).length === 1;
}

test('a live owner is never swept, in this process or another', async (t) => {
  const dataDir = tempDataDir(t);
  const first = openStore({ dataDir, sweepOnTimer: false });
  const runId = first.startRun({ styles: ['anime'], photoCount: 3 });
  first.saveImage(runId, 'upload', Buffer.from('a photo'));

  const second = openStore({ dataDir, sweepOnTimer: false });
  t.after(() => second.close());
  assert.equal(second.startupSweep.crashedRuns, 0);
  assert.equal(second.sweep().crashedRuns, 0);
  assert.equal(second.countdown()[0]?.status, 'running');

  const child = spawn(process.execPath, ['--import', 'tsx', JOB, 'uploads-only'], {
    env: { ...process.env, AVATAR_STUDIO_DATA: dataDir },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => child.kill('SIGKILL'));
  await until(child, 'upload 2');
  assert.equal(second.sweep().crashedRuns, 0, 'a run of a live process was swept');
  assert.equal(second.countdown().length, 2);
  first.close();
});

test('a run whose recorded pid now belongs to another live process is swept as crashed', async (t) => {
  const dataDir = tempDataDir(t);
  const child = spawn(process.execPath, ['--import', 'tsx', JOB, 'uploads-only'], {
    env: { ...process.env, AVATAR_STUDIO_DATA: dataDir },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await until(child, 'upload 2');
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
  // What a reboot or a container does: the run's pid is now someone else's, alive (ours).
  const db = new BetterSqlite3(databasePath(dataDir));
  db.prepare('UPDATE runs SET owner_pid = ?').run(process.pid);
  db.close();

  const store = openStore({ dataDir, sweepOnTimer: false });
  t.after(() => store.close());
  assert.equal(store.startupSweep.crashedRuns, 1);
  assert.deepEqual(fs.readdirSync(imagesDir(dataDir)), []);
  assert.equal(fs.readdirSync(ownersDir(dataDir)).length, 1, 'only the live store’s lock is left');
});

test(
  'a zombie owner is dead: SIGKILL and an immediate restart leave no file and a sound database',
  { skip: process.platform !== 'linux' && '/proc is Linux only' },
  async (t) => {
    const dataDir = tempDataDir(t);
    // `exec sleep` leaves a parent that never reaps: the killed job stays a zombie.
    const holder = spawn(
      'sh',
      ['-c', `"$0" --import tsx "$1" & echo "pid $!"; exec sleep 60`, process.execPath, JOB],
      {
        env: { ...process.env, AVATAR_STUDIO_DATA: dataDir },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    t.after(() => holder.kill('SIGKILL'));
    let pid = 0;
    for await (const line of createInterface({ input: holder.stdout })) {
      if (line.startsWith('pid ')) pid = Number(line.slice(4));
      if (line === 'avatar 3') break;
    }
    process.kill(pid, 'SIGKILL');
    while (!isZombie(pid)) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.doesNotThrow(() => process.kill(pid, 0), 'kill(pid, 0) still calls a zombie alive');
    assert.ok(fs.readdirSync(imagesDir(dataDir)).length >= 3 + 2 * 4);

    const store = openStore({ dataDir, sweepOnTimer: false });
    t.after(() => store.close());
    assert.equal(store.startupSweep.crashedRuns, 1);
    assert.deepEqual(fs.readdirSync(imagesDir(dataDir)), [], 'an image file survived the sweep');
    assert.deepEqual(findPlaintextImages(dataDir), []);
    assert.equal(integrityCheck(dataDir), 'ok');
    assert.equal(store.countdown().length, 0);
  },
);

test('an instance that is not an owner id is never looked up on disk', () => {
  assert.equal(isOwnerAlive('/nonexistent', '../../avatar-studio.sqlite'), false);
});
