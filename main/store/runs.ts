import crypto from 'node:crypto';
import type { StoreContext } from './context.ts';
import { randomFileName } from './crypto-files.ts';
import { liveFilesOfRun, shredFiles } from './deletion.ts';
import { StoreError } from './errors.ts';
import { chargeRun, refundRun } from './quota.ts';
import { readSettings } from './settings.ts';

export type ImageKind = 'upload' | 'avatar' | 'preview';
export type RunStatus = 'running' | 'finished' | 'cancelled' | 'failed' | 'crashed';
/** Who started the run: the desktop app or the headless CLI. Both count against one quota. */
export type RunSource = 'app' | 'cli';

export interface StartRunInput {
  /** Style ids the run will render. */
  readonly styles: readonly string[];
  /** How many photos the user gave. */
  readonly photoCount: number;
  /** Default 'app'. */
  readonly source?: RunSource;
}

/** A run that still has files on disk, or is still going. */
export interface RunOnDisk {
  readonly id: string;
  readonly status: RunStatus;
  readonly uploads: number;
  readonly avatars: number;
  readonly previews: number;
  /** Seconds until its last file is deleted; null while the run is going (nothing scheduled). */
  readonly secondsUntilDeletion: number | null;
}

export interface DeleteReport {
  readonly runs: number;
  readonly files: number;
}

const IMAGE_KINDS: readonly ImageKind[] = ['upload', 'avatar', 'preview'];

interface RunRow {
  id: string;
  status: RunStatus;
  owner_instance: string;
}

function getRun(ctx: StoreContext, runId: string): RunRow {
  const row = ctx.db
    .prepare('SELECT id, status, owner_instance FROM runs WHERE id = ?')
    .get(runId) as RunRow | undefined;
  if (!row) throw new StoreError('RUN_NOT_FOUND', `No run ${JSON.stringify(runId)}.`);
  return row;
}

/** A run this store started and that is still going: only then does it hold the run's keys. */
function getOwnRunningRun(ctx: StoreContext, runId: string): RunRow {
  const run = getRun(ctx, runId);
  if (run.status !== 'running' || run.owner_instance !== ctx.instance) {
    throw new StoreError('RUN_NOT_ACTIVE', `Run ${runId} is ${run.status}, not running here.`);
  }
  return run;
}

/**
 * Records a new run and charges it to today's quota in one transaction (IMMEDIATE, so the app
 * and a CLI starting at the same moment cannot both pass the check).
 */
export function startRun(ctx: StoreContext, input: StartRunInput): string {
  const { styles, photoCount, source = 'app' } = input;
  if (!Array.isArray(styles) || !styles.every((style) => typeof style === 'string')) {
    throw new StoreError('BAD_ARGUMENT', 'styles must be an array of style ids.');
  }
  if (!Number.isInteger(photoCount) || photoCount < 0) {
    throw new StoreError('BAD_ARGUMENT', `photoCount must be a whole number, got ${photoCount}.`);
  }
  if (source !== 'app' && source !== 'cli') {
    throw new StoreError('BAD_ARGUMENT', `source must be 'app' or 'cli', got ${String(source)}.`);
  }
  const id = crypto.randomUUID();
  ctx.db
    .transaction(() => {
      const day = chargeRun(ctx.db, ctx.clock, readSettings(ctx.db).dailyRunLimit);
      ctx.db
        .prepare(
          `INSERT INTO runs (id, source, status, styles, photo_count, usage_day, owner_pid,
             owner_instance, started_at)
           VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          id,
          source,
          JSON.stringify(styles),
          photoCount,
          day,
          process.pid,
          ctx.instance,
          ctx.clock.now(),
        );
    })
    .immediate();
  return id;
}

/**
 * Encrypts and keeps one image of a running run; returns the id the renderer asks for it by. The
 * record is written before the file, so any file the sweeper finds without one is debris.
 */
export function saveImage(
  ctx: StoreContext,
  runId: string,
  kind: ImageKind,
  bytes: Uint8Array,
): string {
  if (!IMAGE_KINDS.includes(kind)) {
    throw new StoreError('BAD_ARGUMENT', `kind must be one of ${IMAGE_KINDS.join(', ')}.`);
  }
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) {
    throw new StoreError('BAD_ARGUMENT', 'An image must be a non-empty byte array.');
  }
  const id = crypto.randomUUID();
  const name = randomFileName();
  ctx.db.transaction(() => {
    getOwnRunningRun(ctx, runId);
    ctx.db
      .prepare('INSERT INTO files (id, run_id, kind, name, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(id, runId, kind, name, ctx.clock.now());
  })();
  try {
    ctx.images.write(runId, id, name, bytes);
  } catch (error) {
    forgetRecord(ctx, id);
    throw error;
  }
  return id;
}

/** After a failed write: the file never existed, so neither should its record. */
function forgetRecord(ctx: StoreContext, fileId: string): void {
  try {
    ctx.db.prepare('DELETE FROM files WHERE id = ?').run(fileId);
  } catch {
    // The database refuses writes too (disk full): the sweeper finds no file and closes the record.
  }
}

/** Decrypts one image in memory. */
export function readImage(ctx: StoreContext, fileId: string): Buffer {
  const file = ctx.db
    .prepare('SELECT run_id AS runId, name FROM files WHERE id = ? AND deleted_at IS NULL')
    .get(fileId) as { runId: string; name: string } | undefined;
  if (!file) throw new StoreError('FILE_NOT_FOUND', `No image ${JSON.stringify(fileId)}.`);
  return ctx.images.read(file.runId, fileId, file.name);
}

/**
 * The last avatar is generated: schedules the run's files for deletion after the retention
 * period, and in instant mode shreds its uploads now.
 */
export function finishRun(ctx: StoreContext, runId: string): void {
  endRun(ctx, runId, 'finished');
}

/**
 * A run cancelled by the user or failed: its uploads are shredded now, avatars it already made
 * follow the normal schedule.
 */
export function abortRun(ctx: StoreContext, runId: string, status: 'cancelled' | 'failed'): void {
  endRun(ctx, runId, status);
}

function endRun(ctx: StoreContext, runId: string, status: 'finished' | 'cancelled' | 'failed') {
  const settings = readSettings(ctx.db);
  const now = ctx.clock.now();
  const shredUploadsNow = status !== 'finished' || settings.instantMode;
  ctx.db.transaction(() => {
    getOwnRunningRun(ctx, runId);
    ctx.db.prepare('UPDATE runs SET status = ?, ended_at = ? WHERE id = ?').run(status, now, runId);
    // Uploads to shred now are scheduled for now too: if the process dies before the shred
    // below, the next sweep finds them due instead of unscheduled forever.
    ctx.db
      .prepare(
        `UPDATE files SET delete_at = CASE WHEN kind = 'upload' AND :shredUploadsNow THEN :now
                                           ELSE :deleteAt END
         WHERE run_id = :runId AND deleted_at IS NULL`,
      )
      .run({
        now,
        deleteAt: now + settings.retentionSeconds * 1000,
        shredUploadsNow: shredUploadsNow ? 1 : 0,
        runId,
      });
    refundIfNoAvatar(ctx, runId);
  })();
  if (shredUploadsNow) {
    const uploads = liveFilesOfRun(ctx, runId).filter((file) => file.kind === 'upload');
    shredFiles(ctx, uploads, status === 'finished' ? 'instant' : status);
  }
}

/** A run that ends without a single avatar gives its use of the daily quota back. */
export function refundIfNoAvatar(ctx: StoreContext, runId: string): void {
  const avatars = ctx.db
    .prepare("SELECT count(*) FROM files WHERE run_id = ? AND kind = 'avatar'")
    .pluck()
    .get(runId) as number;
  if (avatars === 0) refundRun(ctx.db, runId);
}

/**
 * Shreds one run's files, or every run's, at once. A run still going is cancelled first, so its
 * job's next save fails instead of writing into a deleted run.
 */
export function deleteNow(ctx: StoreContext, runId?: string): DeleteReport {
  const runIds =
    runId === undefined
      ? (ctx.db
          .prepare(
            `SELECT id FROM runs WHERE status = 'running'
             UNION SELECT run_id FROM files WHERE deleted_at IS NULL`,
          )
          .pluck()
          .all() as string[])
      : [getRun(ctx, runId).id];
  let files = 0;
  for (const id of runIds) {
    ctx.db.transaction(() => {
      const cancelled = ctx.db
        .prepare(
          "UPDATE runs SET status = 'cancelled', ended_at = ? WHERE id = ? AND status = 'running'",
        )
        .run(ctx.clock.now(), id);
      if (cancelled.changes > 0) refundIfNoAvatar(ctx, id);
    })();
    files += shredFiles(ctx, liveFilesOfRun(ctx, id), 'user');
  }
  return { runs: runIds.length, files };
}

/** Every run with files on disk (or still going), oldest first, with its countdown. */
export function runsOnDisk(ctx: StoreContext): RunOnDisk[] {
  const now = ctx.clock.now();
  const rows = ctx.db
    .prepare(
      `SELECT r.id, r.status,
         count(f.id) FILTER (WHERE f.kind = 'upload') AS uploads,
         count(f.id) FILTER (WHERE f.kind = 'avatar') AS avatars,
         count(f.id) FILTER (WHERE f.kind = 'preview') AS previews,
         -- Known only once every live file is scheduled.
         CASE WHEN count(f.id) = count(f.delete_at) THEN max(f.delete_at) END AS deleteAt
       FROM runs r LEFT JOIN files f ON f.run_id = r.id AND f.deleted_at IS NULL
       GROUP BY r.id
       HAVING r.status = 'running' OR count(f.id) > 0
       ORDER BY r.started_at, r.id`,
    )
    .all() as (Omit<RunOnDisk, 'secondsUntilDeletion'> & { deleteAt: number | null })[];
  return rows.map(({ deleteAt, ...run }) => ({
    ...run,
    secondsUntilDeletion:
      deleteAt === null ? null : Math.max(0, Math.ceil((deleteAt - now) / 1000)),
  }));
}
