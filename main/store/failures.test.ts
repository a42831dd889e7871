import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { databasePath, imagesDir } from './data-folder.ts';
import { type Store, isStoreError, openStore } from './index.ts';
import { faultyFileSystem, tempDataDir } from '../testing/store.ts';

const PICTURE = Buffer.from('a picture the user is waiting for');

/** A run with one saved avatar, on a file system whose faults the test switches on. */
function runWithOneAvatar(t: Parameters<typeof tempDataDir>[0]) {
  const dataDir = tempDataDir(t);
  const { fileSystem, fault } = faultyFileSystem();
  const store = openStore({ dataDir, fileSystem });
  t.after(() => store.close());
  const runId = store.startRun({ styles: ['anime'], photoCount: 3 });
  const saved = store.saveImage(runId, 'avatar', PICTURE);
  return { dataDir, fault, store, runId, saved };
}

/** What a failed save must leave: the earlier image intact, no partial file, no stray record. */
function assertNothingHalfWritten(store: Store, dataDir: string, runId: string, saved: string) {
  assert.deepEqual(fs.readdirSync(imagesDir(dataDir)).length, 1);
  assert.deepEqual(store.readImage(saved), PICTURE);
  assert.equal(store.countdown().find((run) => run.id === runId)?.avatars, 1);
}

for (const method of ['writeSync', 'fsyncSync'] as const) {
  test(`a full disk (ENOSPC from ${method}) fails the save clearly and leaves no half file`, (t) => {
    const { dataDir, fault, store, runId, saved } = runWithOneAvatar(t);
    Object.assign(fault, { method, code: 'ENOSPC' });
    assert.throws(() => store.saveImage(runId, 'avatar', PICTURE), {
      code: 'DISK_FULL',
      message: /disk is full while saving an image/,
    });
    assertNothingHalfWritten(store, dataDir, runId, saved);

    delete fault.method; // Space freed: the run carries on.
    assert.deepEqual(store.readImage(store.saveImage(runId, 'avatar', PICTURE)), PICTURE);
  });
}

test('a data folder that turns read-only mid-run (EROFS) fails the save clearly', (t) => {
  const { dataDir, fault, store, runId, saved } = runWithOneAvatar(t);
  Object.assign(fault, { method: 'openSync', code: 'EROFS' });
  assert.throws(() => store.saveImage(runId, 'avatar', PICTURE), {
    code: 'DATA_FOLDER_READ_ONLY',
    message: /cannot be written while saving an image/,
  });
  assertNothingHalfWritten(store, dataDir, runId, saved);
});

for (const code of ['EROFS', 'EACCES', 'ENOSPC']) {
  test(`a data folder that refuses writes (${code}) is refused at start-up`, (t) => {
    const dataDir = tempDataDir(t);
    const { fileSystem, fault } = faultyFileSystem();
    Object.assign(fault, { method: 'openSync', code });
    assert.throws(() => openStore({ dataDir, fileSystem }), {
      code: code === 'ENOSPC' ? 'DISK_FULL' : 'DATA_FOLDER_READ_ONLY',
      message: new RegExp(`preparing the data folder`),
    });
    assert.equal(fs.existsSync(databasePath(dataDir)), false);
  });
}

/** Mounts a small tmpfs for the test, or says why it cannot (not root, no CAP_SYS_ADMIN). */
function mountTmpfs(t: Parameters<typeof tempDataDir>[0], size: string): string | undefined {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'avatar-studio-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch {
    fs.rmdirSync(dir);
    return undefined;
  }
  t.after(() => {
    execFileSync('umount', ['-l', dir]);
    fs.rmdirSync(dir);
  });
  return dir;
}

test('a real full disk (small tmpfs): a clear error, every saved image intact', (t) => {
  const dataDir = mountTmpfs(t, '3m');
  if (!dataDir) return t.skip('mounting a tmpfs is not permitted here');
  const store = openStore({ dataDir });
  t.after(() => store.close());
  const runId = store.startRun({ styles: ['anime'], photoCount: 3 });
  const saved = new Map<string, Buffer>();
  let failure: unknown;
  for (let i = 0; i < 100 && !failure; i++) {
    const bytes = crypto.randomBytes(256 * 1024);
    try {
      saved.set(store.saveImage(runId, 'avatar', bytes), bytes);
    } catch (error) {
      failure = error;
    }
  }
  assert.ok(isStoreError(failure), `expected a StoreError, got ${String(failure)}`);
  assert.equal(failure.code, 'DISK_FULL');
  assert.ok(saved.size > 0);
  for (const [id, bytes] of saved) assert.deepEqual(store.readImage(id), bytes);
  assert.equal(fs.readdirSync(imagesDir(dataDir)).length, saved.size, 'a partial file was left');
  store.deleteNow(runId);
  store.close();
  const db = new BetterSqlite3(databasePath(dataDir), { readonly: true });
  t.after(() => db.close());
  assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
});

test('a real read-only data folder (tmpfs remounted ro) is refused at start-up', (t) => {
  const dataDir = mountTmpfs(t, '4m');
  if (!dataDir) return t.skip('mounting a tmpfs is not permitted here');
  openStore({ dataDir }).close();
  execFileSync('mount', ['-o', 'remount,ro', dataDir]);
  assert.throws(() => openStore({ dataDir }), {
    code: 'DATA_FOLDER_READ_ONLY',
    message: /cannot be written while preparing the data folder/,
  });
});
