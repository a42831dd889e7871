import { type DeletionReason, logDeletion } from './audit-log.ts';
import type { StoreContext } from './context.ts';
import type { ImageKind } from './runs.ts';

/** A file still on disk, as the shredder needs it. */
export interface LiveFile {
  readonly id: string;
  readonly runId: string;
  readonly kind: ImageKind;
  readonly name: string;
}

export function liveFilesOfRun(ctx: StoreContext, runId: string): LiveFile[] {
  return ctx.db
    .prepare(
      'SELECT id, run_id AS runId, kind, name FROM files WHERE run_id = ? AND deleted_at IS NULL',
    )
    .all(runId) as LiveFile[];
}

/**
 * Shreds files (each key, then its bytes) and only then marks them deleted, with one log entry
 * per run. A crash in between leaves records of files already gone, which the next sweep closes;
 * never a record saying deleted for a file still on disk.
 */
export function shredFiles(
  ctx: StoreContext,
  files: readonly LiveFile[],
  reason: DeletionReason,
): number {
  const done: LiveFile[] = [];
  try {
    for (const file of files) {
      ctx.images.shred(file.runId, file.id, file.name);
      done.push(file);
    }
  } finally {
    recordDeleted(ctx, done, reason);
  }
  return done.length;
}

function recordDeleted(ctx: StoreContext, files: readonly LiveFile[], reason: DeletionReason) {
  if (files.length === 0) return;
  const at = ctx.clock.now();
  const markDeleted = ctx.db.prepare('UPDATE files SET deleted_at = ? WHERE id = ?');
  ctx.db.transaction(() => {
    const byRun = new Map<string, Record<ImageKind, number>>();
    for (const file of files) {
      markDeleted.run(at, file.id);
      const counts = byRun.get(file.runId) ?? { upload: 0, avatar: 0, preview: 0 };
      counts[file.kind]++;
      byRun.set(file.runId, counts);
    }
    for (const [runId, counts] of byRun) {
      logDeletion(ctx.db, {
        runId,
        at,
        reason,
        uploads: counts.upload,
        avatars: counts.avatar,
        previews: counts.preview,
        strays: 0,
      });
    }
  })();
}
