import BetterSqlite3, { type Database } from 'better-sqlite3';
import { StoreError, storeErrorFromIo } from './errors.ts';
import { SCHEMA_VERSION, migrate } from './migrations/index.ts';

/**
 * Opens (or creates) the store's database. A damaged database or one written by a newer version
 * of the app is refused before anything is written to it: it may hold the only record of files
 * still waiting to be deleted, so it is never overwritten or "repaired" here.
 */
export function openDatabase(file: string): Database {
  let db: Database | undefined;
  try {
    db = new BetterSqlite3(file);
    // Read first: a file that is not a database fails here with SQLITE_NOTADB, before any write.
    const version = db.pragma('user_version', { simple: true }) as number;
    const check = db.pragma('integrity_check(1)', { simple: true });
    if (check !== 'ok') throw corrupt(file, String(check));
    if (version > SCHEMA_VERSION) {
      throw new StoreError(
        'DATABASE_TOO_NEW',
        `The database ${file} was written by a newer Avatar Studio (schema ${version}, this one knows ${SCHEMA_VERSION}); update the app.`,
      );
    }
    db.pragma('journal_mode = WAL');
    // FULL: a deletion recorded as done must survive a power cut, or the sweeper would forget it.
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    // The app and a CLI may share the database; a writer waits for the other instead of failing.
    db.pragma('busy_timeout = 5000');
    migrate(db);
    return db;
  } catch (error) {
    db?.close();
    const code = (error as { code?: unknown }).code;
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
      throw corrupt(file, (error as Error).message);
    }
    throw storeErrorFromIo(error, `opening the database ${file}`);
  }
}

function corrupt(file: string, detail: string): StoreError {
  return new StoreError(
    'DATABASE_CORRUPT',
    `The database ${file} is damaged (${detail}); it was left untouched: move it aside to start afresh.`,
  );
}
