/**
 * The privacy and usage store: one SQLite database and one folder of encrypted images under the
 * data folder, shared by the app and every CLI. Open it with openStore; everything else goes
 * through the returned Store. Images come back as bytes by id, never as paths.
 */
import { type DeletionLogEntry, readDeletionLog } from './audit-log.ts';
import { type Clock, systemClock } from './clock.ts';
import type { StoreContext } from './context.ts';
import { EncryptedImages } from './crypto-files.ts';
import { databasePath, imagesDir, prepareDataDir, resolveDataDir } from './data-folder.ts';
import { openDatabase } from './database.ts';
import { storeErrorFromIo } from './errors.ts';
import { type FileSystem, nodeFileSystem } from './file-system.ts';
import { holdOwnerLock } from './owners.ts';
import { type QuotaStatus, quotaStatus } from './quota.ts';
import { type SweepReport, type Sweeper, startSweeper, sweep } from './retention.ts';
import {
  type DeleteReport,
  type ImageKind,
  type RunOnDisk,
  type StartRunInput,
  abortRun,
  deleteNow,
  finishRun,
  readImage,
  runsOnDisk,
  saveImage,
  startRun,
} from './runs.ts';
import { type Settings, readSettings, writeSettings } from './settings.ts';

export type { Clock, Timer } from './clock.ts';
export type { DeletionLogEntry, DeletionReason } from './audit-log.ts';
export { StoreError, isStoreError, type StoreErrorCode } from './errors.ts';
export type { FileSystem } from './file-system.ts';
export type { QuotaStatus } from './quota.ts';
export type { SweepReport } from './retention.ts';
export type {
  DeleteReport,
  ImageKind,
  RunOnDisk,
  RunSource,
  RunStatus,
  StartRunInput,
} from './runs.ts';
export type { Settings } from './settings.ts';
export { resolveDataDir } from './data-folder.ts';

export interface StoreOptions {
  /** Default: AVATAR_STUDIO_DATA, else the per-user app data folder. */
  readonly dataDir?: string;
  readonly clock?: Clock;
  /** For tests that make the disk full or read-only. */
  readonly fileSystem?: FileSystem;
  /**
   * Keep deleting on a timer while open (the app). A one-shot command sweeps once at open and
   * passes false. Default true.
   */
  readonly sweepOnTimer?: boolean;
  /** A timed sweep failed (it is retried); default: logged to stderr. */
  readonly onSweepError?: (error: unknown) => void;
}

/** Every method throws StoreError; all are synchronous (better-sqlite3 and small files). */
export interface Store {
  readonly dataDir: string;
  /** What the start-up sweep did before anything else ran. */
  readonly startupSweep: SweepReport;
  /** Charges today's quota and records the run; QUOTA_EXCEEDED says when the next is allowed. */
  startRun(input: StartRunInput): string;
  /** Encrypts and keeps an image of a running run; returns its id. */
  saveImage(runId: string, kind: ImageKind, bytes: Uint8Array): string;
  /** The image's bytes, decrypted in memory. */
  readImage(fileId: string): Buffer;
  /** All avatars are made: schedules deletion (uploads at once in instant mode). */
  finishRun(runId: string): void;
  /** Uploads shredded now; avatars made so far follow the schedule; no avatar: use given back. */
  cancelRun(runId: string): void;
  failRun(runId: string): void;
  /** Shreds one run, or all, at once (a run still going is cancelled). */
  deleteNow(runId?: string): DeleteReport;
  /** Runs still on disk with seconds until deletion. */
  countdown(): RunOnDisk[];
  quota(): QuotaStatus;
  settings(): Settings;
  updateSettings(patch: Partial<Settings>): Settings;
  /** Deletes everything due now (the timer does this on its own). */
  sweep(): SweepReport;
  deletionLog(limit?: number): DeletionLogEntry[];
  /** Cancels runs still going here, destroys every key and closes the database; idempotent. */
  close(): void;
}

export function openStore(options: StoreOptions = {}): Store {
  const dataDir = options.dataDir ?? resolveDataDir();
  const fsys = options.fileSystem ?? nodeFileSystem;
  prepareDataDir(dataDir, fsys);
  const db = openDatabase(databasePath(dataDir));
  let owner;
  try {
    owner = holdOwnerLock(dataDir);
  } catch (error) {
    db.close();
    throw storeErrorFromIo(error, `taking the owner lock in ${dataDir}`);
  }
  const { instance } = owner;
  const ctx: StoreContext = {
    dataDir,
    db,
    clock: options.clock ?? systemClock,
    images: new EncryptedImages(imagesDir(dataDir), fsys, instance),
    instance,
  };

  let sweeper: Sweeper | undefined;
  let startupSweep: SweepReport;
  try {
    startupSweep = sweep(ctx);
    if (options.sweepOnTimer ?? true) {
      sweeper = startSweeper(ctx, options.onSweepError ?? ((error) => console.error(error)));
    }
  } catch (error) {
    owner.release();
    db.close();
    throw storeErrorFromIo(error, 'deleting expired images at start-up');
  }

  /** Maps a raw disk or SQLite failure to a StoreError; a scheduling change re-arms the timer. */
  function guard<T>(doing: string, operation: () => T, reschedule = false): T {
    try {
      return operation();
    } catch (error) {
      throw storeErrorFromIo(error, doing);
    } finally {
      if (reschedule) sweeper?.reschedule();
    }
  }

  return {
    dataDir,
    startupSweep,
    startRun: (input) => guard('starting a run', () => startRun(ctx, input)),
    saveImage: (runId, kind, bytes) =>
      guard('saving an image', () => saveImage(ctx, runId, kind, bytes)),
    readImage: (fileId) => guard('reading an image', () => readImage(ctx, fileId)),
    finishRun: (runId) => guard('finishing a run', () => finishRun(ctx, runId), true),
    cancelRun: (runId) => guard('cancelling a run', () => abortRun(ctx, runId, 'cancelled'), true),
    failRun: (runId) => guard('ending a failed run', () => abortRun(ctx, runId, 'failed'), true),
    deleteNow: (runId) => guard('deleting images', () => deleteNow(ctx, runId), true),
    countdown: () => guard('reading the deletion schedule', () => runsOnDisk(ctx)),
    quota: () =>
      guard('reading the quota', () => quotaStatus(db, ctx.clock, readSettings(db).dailyRunLimit)),
    settings: () => guard('reading settings', () => readSettings(db)),
    updateSettings: (patch) => guard('saving settings', () => writeSettings(db, patch)),
    sweep: () => guard('deleting expired images', () => sweep(ctx), true),
    deletionLog: (limit) => guard('reading the deletion log', () => readDeletionLog(db, limit)),
    close() {
      if (!db.open) return;
      sweeper?.stop();
      sweeper = undefined;
      try {
        const running = db
          .prepare("SELECT id FROM runs WHERE status = 'running' AND owner_instance = ?")
          .pluck()
          .all(instance) as string[];
        for (const runId of running) abortRun(ctx, runId, 'cancelled');
      } finally {
        ctx.images.forgetAll();
        owner.release();
        db.close();
      }
    },
  };
}
