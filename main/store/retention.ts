import { logDeletion } from './audit-log.ts';
import type { Timer } from './clock.ts';
import type { StoreContext } from './context.ts';
import { type LiveFile, liveFilesOfRun, shredFiles } from './deletion.ts';
import { isOwnerAlive, removeDeadLocks } from './owners.ts';
import { refundIfNoAvatar } from './runs.ts';

/**
 * The longest the timer sleeps even with nothing due: the app notices deletions another process
 * (the CLI) scheduled, and a wall clock that jumped, within this time.
 */
const MAX_SLEEP_MS = 60_000;

export interface SweepReport {
  /** Runs whose process died mid-run; all their files were shredded. */
  readonly crashedRuns: number;
  /** Files shredded because their time had come. */
  readonly dueFiles: number;
  /** Files on disk with no record (debris of a crash) removed. */
  readonly strayFiles: number;
}

/**
 * Deletes everything due. Runs at start-up before anything else, then from the timer; the
 * schedule lives in SQLite, so a process killed with deletions pending catches up on its next
 * start. Order matters: crashed runs first (their keys are gone), then due files, then debris.
 */
export function sweep(ctx: StoreContext): SweepReport {
  const now = ctx.clock.now();

  const running = ctx.db
    .prepare("SELECT id, owner_instance FROM runs WHERE status = 'running'")
    .all() as { id: string; owner_instance: string }[];
  const crashed = running.filter((run) => !isOwnerAlive(ctx.dataDir, run.owner_instance));
  for (const { id } of crashed) {
    ctx.db.transaction(() => {
      ctx.db.prepare("UPDATE runs SET status = 'crashed', ended_at = ? WHERE id = ?").run(now, id);
      refundIfNoAvatar(ctx, id);
    })();
    shredFiles(ctx, liveFilesOfRun(ctx, id), 'crashed');
  }

  // A run that ended "after" now means the clock was turned back: its schedule can no longer be
  // trusted to come due in time, so its files go now rather than late.
  const due = ctx.db
    .prepare(
      `SELECT f.id, f.run_id AS runId, f.kind, f.name
       FROM files f JOIN runs r ON r.id = f.run_id
       WHERE f.deleted_at IS NULL AND f.delete_at IS NOT NULL
         AND (f.delete_at <= :now OR r.ended_at > :now)`,
    )
    .all({ now }) as LiveFile[];
  const dueFiles = shredFiles(ctx, due, 'scheduled');

  const strayFiles = removeStrays(ctx, now);
  removeDeadLocks(ctx.dataDir);

  // Keys of files another process deleted (the privacy CLI's delete-now) are destroyed here.
  const ownLive = ctx.db
    .prepare(
      `SELECT f.id FROM files f JOIN runs r ON r.id = f.run_id
       WHERE f.deleted_at IS NULL AND r.owner_instance = ?`,
    )
    .pluck()
    .all(ctx.instance) as string[];
  ctx.images.retainKeys(new Set(ownLive));

  return { crashedRuns: crashed.length, dueFiles, strayFiles };
}

/**
 * Files in the images folder with no live record. Listed before the records are read: a file
 * another process finishes after the listing is not in it, and one in the listing had its
 * record committed first (saveImage writes the record before the file).
 */
function removeStrays(ctx: StoreContext, now: number): number {
  // A temp file of this store is never a write in progress here: writes are synchronous.
  const onDisk = ctx.images.list(
    (instance) => instance !== ctx.instance && isOwnerAlive(ctx.dataDir, instance),
  );
  if (onDisk.length === 0) return 0;
  const live = new Set(
    ctx.db.prepare('SELECT name FROM files WHERE deleted_at IS NULL').pluck().all() as string[],
  );
  const strays = onDisk.filter((name) => !live.has(name));
  for (const name of strays) ctx.images.destroy(name);
  if (strays.length > 0) {
    logDeletion(ctx.db, {
      runId: null,
      at: now,
      reason: 'stray',
      uploads: 0,
      avatars: 0,
      previews: 0,
      strays: strays.length,
    });
  }
  return strays.length;
}

export interface Sweeper {
  /** Re-arms the timer for the next due deletion (call after scheduling one). */
  reschedule(): void;
  stop(): void;
}

/** Sweeps on a timer set to the next due deletion; a failed sweep is reported and retried. */
export function startSweeper(ctx: StoreContext, onError: (error: unknown) => void): Sweeper {
  let timer: Timer | undefined;
  let stopped = false;
  const arm = (delayMs?: number) => {
    timer?.cancel();
    if (stopped) return;
    if (delayMs === undefined) {
      const next = ctx.db
        .prepare('SELECT min(delete_at) FROM files WHERE deleted_at IS NULL')
        .pluck()
        .get() as number | null;
      delayMs = next === null ? MAX_SLEEP_MS : next - ctx.clock.now();
    }
    timer = ctx.clock.setTimer(tick, Math.min(MAX_SLEEP_MS, Math.max(0, delayMs)));
  };
  const tick = () => {
    try {
      sweep(ctx);
      arm();
    } catch (error) {
      onError(error);
      // Not at once: a file that cannot be deleted now would otherwise spin the timer.
      arm(MAX_SLEEP_MS);
    }
  };
  arm();
  return {
    reschedule: () => arm(),
    stop() {
      stopped = true;
      timer?.cancel();
    },
  };
}
