import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { databasePath, imagesDir } from './data-folder.ts';
import { openStore } from './index.ts';
import { findPlaintextImages, integrityCheck, tempDataDir } from '../testing/store.ts';

/** A store-only job with precise kill points; main/jobs/crash.test.ts kills the real one. */
const JOB = fileURLToPath(new URL('../testing/crash-job.ts', import.meta.url));

/** Runs the job until it prints `until`, then SIGKILLs it; resolves once it is reaped. */
async function killMidRun(dataDir: string, until: string, args: string[] = []): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', JOB, ...args], {
    env: { ...process.env, AVATAR_STUDIO_DATA: dataDir },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  for await (const line of createInterface({ input: child.stdout })) {
    if (line === until) break;
  }
  child.kill('SIGKILL');
  const [code, signal] = await exited;
  assert.equal(signal, 'SIGKILL', `the job ended on its own (exit code ${code})`);
}

test('a job killed with SIGKILL mid-run leaves nothing behind after the next start', async (t) => {
  const dataDir = tempDataDir(t);
  await killMidRun(dataDir, 'avatar 8');

  const leftovers = fs.readdirSync(imagesDir(dataDir));
  assert.ok(
    leftovers.length >= 3 + 2 * 9,
    `expected the kill to leave files, found ${leftovers.length}`,
  );
  // A write the kill cut short leaves a temp file named for the dead store's owner lock.
  const db = new BetterSqlite3(databasePath(dataDir), { readonly: true });
  const owner = db.prepare('SELECT owner_instance FROM runs').pluck().get() as string;
  db.close();
  fs.writeFileSync(
    path.join(imagesDir(dataDir), `${crypto.randomBytes(16).toString('hex')}.${owner}.tmp`),
    crypto.randomBytes(100),
  );

  const store = openStore({ dataDir });
  t.after(() => store.close());
  assert.equal(store.startupSweep.crashedRuns, 1);
  assert.deepEqual(fs.readdirSync(imagesDir(dataDir)), [], 'an image file survived the sweep');
  assert.deepEqual(findPlaintextImages(dataDir), []);
  assert.equal(integrityCheck(dataDir), 'ok');
  assert.deepEqual(store.countdown(), []);
  const [stray, crashed] = store.deletionLog();
  assert.equal(stray?.reason, 'stray');
  assert.equal(stray?.strays, 1);
  assert.equal(crashed?.reason, 'crashed');
  assert.ok(crashed && crashed.avatars >= 9 && crashed.uploads === 3);
  // It made avatars, so the day's run is spent.
  assert.equal(store.quota().used, 1);
});

test('a job killed before its first avatar gives the day’s run back', async (t) => {
  const dataDir = tempDataDir(t);
  await killMidRun(dataDir, 'upload 2', ['uploads-only']);
  const store = openStore({ dataDir });
  t.after(() => store.close());
  assert.equal(store.startupSweep.crashedRuns, 1);
  assert.deepEqual(fs.readdirSync(imagesDir(dataDir)), []);
  assert.equal(store.quota().used, 0);
  assert.equal(integrityCheck(dataDir), 'ok');
});
