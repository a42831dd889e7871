import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { databasePath, imagesDir } from './data-folder.ts';
import { openStore } from './index.ts';
import { MIGRATIONS, SCHEMA_VERSION, migrate } from './migrations/index.ts';
import { tempDataDir } from '../testing/store.ts';

test('a fresh data folder gets a migrated WAL database with strict tables and foreign keys', (t) => {
  const dataDir = tempDataDir(t);
  openStore({ dataDir, sweepOnTimer: false }).close();
  const db = new BetterSqlite3(databasePath(dataDir), { readonly: true });
  t.after(() => db.close());
  assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  const tables = db
    .prepare(
      "SELECT name, strict FROM pragma_table_list WHERE schema = 'main' AND name NOT LIKE 'sqlite_%'",
    )
    .all();
  assert.deepEqual(
    tables.sort((a, b) =>
      String((a as { name: string }).name).localeCompare((b as { name: string }).name),
    ),
    ['daily_usage', 'deletion_log', 'files', 'runs', 'settings'].map((name) => ({
      name,
      strict: 1,
    })),
  );
  assert.deepEqual(
    db.prepare('SELECT "table" FROM pragma_foreign_key_list(\'files\')').pluck().all(),
    ['runs'],
  );
});

test('reopening an up-to-date database changes nothing', (t) => {
  const dataDir = tempDataDir(t);
  const first = openStore({ dataDir, sweepOnTimer: false });
  first.updateSettings({ retentionSeconds: 60 });
  first.close();
  const second = openStore({ dataDir, sweepOnTimer: false });
  t.after(() => second.close());
  assert.equal(second.settings().retentionSeconds, 60);
});

/** Leaves a user's image in the folder, to prove a refused open does not touch it. */
function withUserFile(dataDir: string): { file: string; bytes: Buffer } {
  fs.mkdirSync(imagesDir(dataDir), { recursive: true });
  const file = path.join(imagesDir(dataDir), '0'.repeat(32));
  const bytes = Buffer.from('encrypted image awaiting deletion');
  fs.writeFileSync(file, bytes);
  return { file, bytes };
}

function assertRefusedUntouched(dataDir: string, code: string, message: RegExp) {
  const dbFile = databasePath(dataDir);
  const dbBefore = fs.readFileSync(dbFile);
  const user = withUserFile(dataDir);
  assert.throws(() => openStore({ dataDir }), { name: 'StoreError', code, message });
  assert.deepEqual(fs.readFileSync(dbFile), dbBefore, 'the database was written to');
  assert.deepEqual(fs.readFileSync(user.file), user.bytes, 'a user file was touched');
}

test('a file that is not a database is refused and never overwritten', (t) => {
  const dataDir = tempDataDir(t);
  fs.writeFileSync(databasePath(dataDir), 'these are not the bytes you are looking for');
  assertRefusedUntouched(dataDir, 'DATABASE_CORRUPT', /damaged.*left untouched/);
});

test('a database with damaged pages is refused and never overwritten', (t) => {
  const dataDir = tempDataDir(t);
  const store = openStore({ dataDir, sweepOnTimer: false });
  store.updateSettings({ retentionSeconds: 60 });
  store.close();
  const db = new BetterSqlite3(databasePath(dataDir));
  db.pragma('wal_checkpoint(TRUNCATE)');
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  db.close();
  // Scribble over every page but the header page: table b-trees no longer parse.
  const bytes = fs.readFileSync(databasePath(dataDir));
  bytes.fill(0xa5, pageSize);
  fs.writeFileSync(databasePath(dataDir), bytes);
  assertRefusedUntouched(dataDir, 'DATABASE_CORRUPT', /damaged/);
});

test('a database from a newer version of the app is refused and never overwritten', (t) => {
  const dataDir = tempDataDir(t);
  openStore({ dataDir, sweepOnTimer: false }).close();
  const db = new BetterSqlite3(databasePath(dataDir));
  db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  assertRefusedUntouched(dataDir, 'DATABASE_TOO_NEW', /newer Avatar Studio.*update the app/);
});

test('migrations run in one transaction: a failing one leaves the previous schema intact', () => {
  const db = new BetterSqlite3(':memory:');
  const broken = () => {
    throw new Error('migration 2 failed half-way');
  };
  assert.throws(() => migrate(db, [...MIGRATIONS, broken]), /half-way/);
  assert.equal(db.pragma('user_version', { simple: true }), 0);
  assert.deepEqual(db.prepare('SELECT name FROM sqlite_schema').all(), []);
  db.close();
});
