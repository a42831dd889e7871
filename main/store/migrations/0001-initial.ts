import type { Database } from 'better-sqlite3';

/**
 * Runs, the images each keeps on disk, the daily quota, settings and the deletion log. No table
 * holds image bytes, face data or file paths a renderer could use: images live encrypted under
 * random names, and the log keeps only counts and reasons.
 */
export function up(db: Database): void {
  db.exec(`
    CREATE TABLE runs (
      id TEXT PRIMARY KEY,
      source TEXT NOT NULL CHECK (source IN ('app', 'cli')),
      status TEXT NOT NULL
        CHECK (status IN ('running', 'finished', 'cancelled', 'failed', 'crashed')),
      styles TEXT NOT NULL CHECK (json_valid(styles)),
      photo_count INTEGER NOT NULL CHECK (photo_count >= 0),
      -- The local day the run was charged to; NULL once the use was given back.
      usage_day TEXT,
      -- Which process holds the run's keys, so another process can tell a live run from a crash.
      owner_pid INTEGER NOT NULL,
      owner_instance TEXT NOT NULL,
      started_at INTEGER NOT NULL,
      ended_at INTEGER
    ) STRICT;

    CREATE TABLE files (
      id TEXT PRIMARY KEY,
      run_id TEXT NOT NULL REFERENCES runs (id),
      kind TEXT NOT NULL CHECK (kind IN ('upload', 'avatar', 'preview')),
      -- Random, unrelated to the id the renderer sees.
      name TEXT NOT NULL UNIQUE,
      created_at INTEGER NOT NULL,
      delete_at INTEGER,
      deleted_at INTEGER
    ) STRICT;
    CREATE INDEX files_run ON files (run_id);
    CREATE INDEX files_due ON files (delete_at) WHERE deleted_at IS NULL;

    CREATE TABLE daily_usage (
      day TEXT PRIMARY KEY,
      runs INTEGER NOT NULL CHECK (runs >= 0)
    ) STRICT;

    CREATE TABLE settings (
      key TEXT PRIMARY KEY,
      value TEXT NOT NULL CHECK (json_valid(value))
    ) STRICT;

    CREATE TABLE deletion_log (
      id INTEGER PRIMARY KEY,
      run_id TEXT,
      at INTEGER NOT NULL,
      reason TEXT NOT NULL
        CHECK (reason IN ('scheduled', 'instant', 'cancelled', 'failed', 'crashed', 'user', 'stray')),
      uploads INTEGER NOT NULL,
      avatars INTEGER NOT NULL,
      previews INTEGER NOT NULL,
      strays INTEGER NOT NULL
    ) STRICT;
  `);
}
