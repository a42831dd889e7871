/**
 * Who owns a run: judged by a lock the operating system itself drops when its holder dies, never
 * by a process id. A pid outlives its process as a zombie and is handed to a stranger after a
 * reboot or inside a container, so `kill(pid, 0)` calls a crashed run "running" forever and its
 * files, unreadable without their keys, are never deleted.
 *
 * Each open store holds an exclusive SQLite lock on owners/<instance>.lock (fcntl on POSIX,
 * LockFileEx on Windows). The kernel releases it when the process exits, however it exits, before
 * it is a zombie; SQLite tracks locks per file within a process, so a second store in this process
 * (tests, a CLI inside the app) sees the first one's lock like any other process would.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';

export interface OwnerLock {
  /** Recorded with every run this store starts and in the names of its temp files. */
  readonly instance: string;
  /** Drops the lock and its file: the runs it owned now read as crashed unless closed first. */
  release(): void;
}

/** Where the lock files live: beside the database, never among the images. */
export function ownersDir(dataDir: string): string {
  return path.join(dataDir, 'owners');
}

/** A new owner id, its lock taken before any run or file can name it. */
export function holdOwnerLock(dataDir: string): OwnerLock {
  const instance = crypto.randomUUID();
  fs.mkdirSync(ownersDir(dataDir), { recursive: true, mode: 0o700 });
  const file = lockFile(dataDir, instance);
  const db = new BetterSqlite3(file);
  try {
    // Nothing is ever written: no journal file to leave beside the lock.
    db.pragma('journal_mode = MEMORY');
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
  } catch (error) {
    db.close();
    throw error;
  }
  let held = true;
  return {
    instance,
    release() {
      if (!held) return;
      held = false;
      db.close();
      fs.rmSync(file, { force: true });
    },
  };
}

/**
 * Whether the store that owns `instance` is still open somewhere. False once its process is gone
 * (killed, crashed, a zombie) or it closed; a lock file left by a dead owner is removed here.
 */
export function isOwnerAlive(dataDir: string, instance: string): boolean {
  if (!INSTANCE_ID.test(instance)) return false;
  const file = lockFile(dataDir, instance);
  let db: Database;
  try {
    db = new BetterSqlite3(file, { fileMustExist: true, timeout: 0 });
  } catch {
    return false; // no lock file: released, or never taken on this disk
  }
  try {
    db.exec('BEGIN EXCLUSIVE');
    db.exec('ROLLBACK');
  } catch (error) {
    db.close();
    if ((error as { code?: unknown }).code === 'SQLITE_BUSY') return true;
    throw error;
  }
  db.close();
  fs.rmSync(file, { force: true });
  return false;
}

/** Lock files whose owner is gone: the debris of crashes, removed by the sweeper. */
export function removeDeadLocks(dataDir: string): void {
  const names = fs.readdirSync(ownersDir(dataDir), { withFileTypes: true });
  for (const entry of names) {
    const instance = entry.name.endsWith(LOCK_SUFFIX) && entry.name.slice(0, -LOCK_SUFFIX.length);
    if (entry.isFile() && instance) isOwnerAlive(dataDir, instance);
  }
}

export const INSTANCE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const LOCK_SUFFIX = '.lock';

function lockFile(dataDir: string, instance: string): string {
  return path.join(ownersDir(dataDir), `${instance}${LOCK_SUFFIX}`);
}
