import type { Database } from 'better-sqlite3';

export type DeletionReason =
  'scheduled' | 'instant' | 'cancelled' | 'failed' | 'crashed' | 'user' | 'stray';

/**
 * One deletion, as the log keeps it: which run, when, why and how many files of each kind.
 * Never names, contents, sizes or anything about the face in the pictures.
 */
export interface DeletionLogEntry {
  readonly runId: string | null;
  readonly at: number;
  readonly reason: DeletionReason;
  readonly uploads: number;
  readonly avatars: number;
  readonly previews: number;
  /** Files with no record (debris of a crash) removed by the sweeper. */
  readonly strays: number;
}

export function logDeletion(db: Database, entry: DeletionLogEntry): void {
  db.prepare(
    `INSERT INTO deletion_log (run_id, at, reason, uploads, avatars, previews, strays)
     VALUES (:runId, :at, :reason, :uploads, :avatars, :previews, :strays)`,
  ).run(entry);
}

/** Newest first. */
export function readDeletionLog(db: Database, limit = 100): DeletionLogEntry[] {
  return db
    .prepare(
      `SELECT run_id AS runId, at, reason, uploads, avatars, previews, strays
       FROM deletion_log ORDER BY id DESC LIMIT ?`,
    )
    .all(limit) as DeletionLogEntry[];
}
