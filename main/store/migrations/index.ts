import type { Database } from 'better-sqlite3';
import { up as initial } from './0001-initial.ts';

/** One file per schema version, in order; a version is never edited once released. */
export const MIGRATIONS: readonly ((db: Database) => void)[] = [initial];

export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings the database to SCHEMA_VERSION in one transaction: a crash or a full disk mid-way
 * leaves the previous version intact, never a half-migrated schema.
 */
export function migrate(db: Database, migrations = MIGRATIONS): void {
  db.transaction(() => {
    const from = db.pragma('user_version', { simple: true }) as number;
    for (let version = from + 1; version <= migrations.length; version++) {
      migrations[version - 1]!(db);
    }
    db.pragma(`user_version = ${migrations.length}`);
  }).immediate();
}
