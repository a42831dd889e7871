/**
 * Getting a model from the app: installs from the catalogue and models the user adds (a picked
 * checkpoint or folder in Electron, an upload in the loopback host), one job at a time. A job is
 * started by a request that answers at once with its id, then reported by 'model:progress' and
 * one 'model:finished'. Everything is built in staging folders the model manager removes on a
 * failure or a cancel, so nothing half-installed is ever listed.
 */
import { randomUUID } from 'node:crypto';
import { rm, statfs } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import {
  ApiError,
  type CatalogModel,
  type ModelFinishedEvent,
  type ModelJob,
  type ModelPick,
  type ModelSource,
  type ModelSummary,
  type ModelUpload,
} from '../api/contract.ts';
import { findEntry, loadCatalog } from '../models/catalog.ts';
import { importModel } from '../models/import.ts';
import { discardDownload, formatBytes, installFromCatalog } from '../models/install.ts';
import { slugify } from '../models/model-id.ts';
import {
  createStaging,
  isInstalled,
  listInstalled,
  modelsDir,
  uniqueId,
  type InstalledModel,
} from '../models/registry.ts';
import type { Store } from '../store/index.ts';
import { catalogModels } from './catalog-models.ts';
import { toApiError } from './errors.ts';
import { ModelProgress } from './model-progress.ts';
import { installedSummary } from './model-summary.ts';
import { ModelUploadReceiver } from './model-upload.ts';
import type { Emit } from './runs.ts';

/** A page closed between two files of an upload frees the job after this long. */
const UPLOAD_IDLE_MS = 60_000;

export interface ModelJobsOptions {
  store: Store;
  emit: Emit;
  /** The catalogue file (models/catalog.json, or a mirror's). */
  catalogFile: string;
  /** The model the status marks as default, once a job installed one. */
  defaultId: () => Promise<string | null>;
  /** Electron: the native open dialog; the picked path, or null when the user closed it. */
  pick?: (pick: ModelPick) => Promise<string | null>;
  /** The loopback host: the page may stream a model to it (models:add { upload }). */
  uploads?: boolean;
  /** Free bytes on the disk holding `dir`; injectable so a test can fill the disk. */
  freeBytes?: (dir: string) => Promise<number>;
}

interface ActiveJob {
  job: ModelJob;
  controller: AbortController;
  cancelled: boolean;
  /** Settles once the job has ended and 'model:finished' is sent; never rejects. */
  ended: Promise<void>;
  upload?: ModelUploadReceiver;
}

/** What a job does; it resolves with what it installed. */
type Work = (active: ActiveJob, progress: ModelProgress) => Promise<InstalledModel>;

/** Paths a job's messages may name, and what the page reads instead: never a path. */
type Redactions = [string, string][];

export class ModelJobs {
  private active: ActiveJob | undefined;

  constructor(private readonly options: ModelJobsOptions) {}

  get current(): ModelJob | null {
    return this.active?.job ?? null;
  }

  async catalog(): Promise<CatalogModel[]> {
    const catalog = await loadCatalog(this.options.catalogFile);
    return catalogModels(catalog, this.options.store.dataDir);
  }

  /** Licence shown and accepted on the page first; the download starts once this answers. */
  async install(id: string): Promise<{ jobId: string }> {
    const { dataDir } = this.options.store;
    this.refuseIfBusy();
    const catalog = await loadCatalog(this.options.catalogFile);
    const entry = findEntry(catalog, id); // NOT_FOUND naming the catalogue's models (or add-on)
    if (await isInstalled(dataDir, id)) {
      throw new ApiError('BAD_REQUEST', `${entry.name} is installed already.`);
    }
    const job = { kind: 'install', catalogId: id, name: entry.name } as const;
    return this.begin(job, [], async ({ controller: { signal } }, progress) => {
      try {
        return await installFromCatalog({
          dataDir,
          catalog,
          id,
          signal,
          onProgress: (p) => progress.install(entry.name, p),
          ...(this.options.freeBytes ? { freeBytes: this.options.freeBytes } : {}),
        });
      } catch (error) {
        // A cancel undoes the download too; a failure keeps it, so Install resumes it.
        if (signal.aborted) await discardDownload(dataDir, id).catch(() => false);
        throw error;
      }
    });
  }

  /** Null when the user closed the dialog. */
  async add(source: ModelSource): Promise<{ jobId: string } | null> {
    this.refuseIfBusy();
    return 'pick' in source ? this.addPicked(source.pick) : this.addUpload(source.upload);
  }

  /** Returns once the job has stopped (its 'model:finished' sent); a job already over is fine. */
  async cancel(jobId: string): Promise<void> {
    const active = this.active;
    if (active?.job.jobId !== jobId) return;
    active.cancelled = true;
    active.controller.abort();
    await active.ended;
  }

  /** One file of an upload (the loopback host's upload route). */
  async receive(jobId: string, relative: string, bytes: number, body: Readable): Promise<void> {
    const upload = this.active?.job.jobId === jobId ? this.active.upload : undefined;
    if (!upload) {
      throw new ApiError(
        'NOT_FOUND',
        `No upload ${jobId} is waiting for files: it finished, failed or was cancelled.`,
      );
    }
    await upload.receive(relative, bytes, body);
  }

  async close(): Promise<void> {
    if (this.active) await this.cancel(this.active.job.jobId);
  }

  private async addPicked(pick: ModelPick): Promise<{ jobId: string } | null> {
    const { pick: open } = this.options;
    if (!open) {
      throw new ApiError(
        'BAD_REQUEST',
        'This window has no file dialog: the page picks the model and uploads it.',
      );
    }
    const picked = await open(pick);
    if (picked === null) return null;
    const name = path.basename(picked);
    const redactions: Redactions = [[path.dirname(picked) + path.sep, '']];
    return this.begin({ kind: 'add', name }, redactions, (active, progress) =>
      this.importFrom(picked, name, active.controller.signal, progress),
    );
  }

  private async addUpload(upload: ModelUpload): Promise<{ jobId: string }> {
    if (!this.options.uploads) {
      throw new ApiError('BAD_REQUEST', 'This window picks models with its own dialog.');
    }
    checkUpload(upload);
    await this.checkFreeSpace(upload);
    const dir = await createStaging(this.options.store.dataDir);
    // A checkpoint is the file itself; a folder's files sit under the staging folder.
    const source = upload.kind === 'checkpoint' ? path.join(dir, upload.files[0]!.path) : dir;
    const redactions: Redactions = [
      [source, upload.name],
      [dir + path.sep, upload.kind === 'folder' ? `${upload.name}/` : ''],
    ];
    const work: Work = async (active, progress) => {
      const receiver = active.upload!;
      try {
        await receiver.complete;
        return await this.importFrom(source, upload.name, active.controller.signal, progress);
      } finally {
        receiver.fail(new ApiError('CANCELLED', 'The upload was stopped.'));
        await receiver.drained();
        await rm(dir, { recursive: true, force: true });
      }
    };
    const receive = (active: ActiveJob, progress: ModelProgress) =>
      new ModelUploadReceiver(dir, upload, {
        signal: active.controller.signal,
        idleMs: UPLOAD_IDLE_MS,
        onBytes: (done, total) =>
          progress.report('upload', `Copying ${upload.name} into Avatar Studio`, done, total),
      });
    try {
      return this.begin({ kind: 'add', name: upload.name }, redactions, work, receive);
    } catch (error) {
      await rm(dir, { recursive: true, force: true }); // another job started meanwhile
      throw error;
    }
  }

  /** The model manager's import: a checkpoint or diffusers folder is built, an ONNX folder copied. */
  private async importFrom(
    source: string,
    name: string,
    signal: AbortSignal,
    progress: ModelProgress,
  ): Promise<InstalledModel> {
    const { dataDir } = this.options.store;
    const stem = name.replace(/\.safetensors$/i, '');
    progress.report('check', `Checking ${name}`, 0, 1);
    return importModel({
      dataDir,
      source,
      id: await uniqueId(dataDir, slugify(stem)),
      name: stem,
      signal,
      onProgress: (p) => progress.build(p),
    });
  }

  private refuseIfBusy(): void {
    if (this.active) {
      throw new ApiError(
        'MODEL_JOB_IN_PROGRESS',
        `${this.active.job.name} is being installed: wait for it to finish or cancel it first.`,
      );
    }
  }

  /** An upload's bytes land in the data folder before the build writes as much again. */
  private async checkFreeSpace(upload: ModelUpload): Promise<void> {
    const { dataDir } = this.options.store;
    const needed = upload.files.reduce((sum, file) => sum + file.bytes, 0);
    const free = await (this.options.freeBytes ?? freeBytesOn)(dataDir);
    if (free < needed) {
      throw new ApiError(
        'STORAGE',
        `Not enough free space for ${upload.name}: it needs ${formatBytes(needed)}, the disk holding Avatar Studio's data has ${formatBytes(free)} free.`,
      );
    }
  }

  /**
   * Makes the job the active one at once (nothing awaited in between, so two requests cannot
   * both start one), runs it, and reports its end. `receive`: the upload the job waits for.
   */
  private begin(
    job: Omit<ModelJob, 'jobId'>,
    redactions: Redactions,
    work: Work,
    receive?: (active: ActiveJob, progress: ModelProgress) => ModelUploadReceiver,
  ): { jobId: string } {
    this.refuseIfBusy();
    const jobId = randomUUID();
    const active: ActiveJob = {
      job: { jobId, ...job },
      controller: new AbortController(),
      cancelled: false,
      ended: Promise.resolve(),
    };
    const progress = new ModelProgress(jobId, this.options.emit);
    if (receive) active.upload = receive(active, progress);
    this.active = active;
    active.ended = work(active, progress).then(
      (installed) => this.succeeded(active, installed),
      (error: unknown) => this.failed(active, error, redactions),
    );
    return { jobId };
  }

  private async succeeded(active: ActiveJob, installed: InstalledModel): Promise<void> {
    let event: ModelFinishedEvent;
    try {
      event = { jobId: active.job.jobId, ok: true, model: await this.adopt(installed) };
    } catch (error) {
      event = { jobId: active.job.jobId, ok: false, error: toApiError(error).toJSON() };
    }
    this.end(active, event);
  }

  private failed(active: ActiveJob, error: unknown, redactions: Redactions): void {
    const cancelled = active.cancelled
      ? new ApiError('CANCELLED', `Cancelled: nothing of ${active.job.name} was kept.`)
      : redact(toApiError(error), [
          ...redactions,
          [modelsDir(this.options.store.dataDir), 'the data folder'],
          [this.options.store.dataDir, 'the data folder'],
        ]);
    this.end(active, { jobId: active.job.jobId, ok: false, error: cancelled.toJSON() });
  }

  private end(active: ActiveJob, event: ModelFinishedEvent): void {
    if (this.active === active) this.active = undefined;
    // Anything still being received stops: its folder is going.
    active.controller.abort();
    this.options.emit('model:finished', event);
  }

  /** The first model installed becomes the default, so a run can use it at once. */
  private async adopt(installed: InstalledModel): Promise<ModelSummary> {
    const { store } = this.options;
    const { id } = installed.manifest;
    const others = (await listInstalled(store.dataDir)).filter((m) => m.manifest.id !== id);
    if (others.length === 0) store.updateSettings({ defaultModelId: id });
    return installedSummary(installed, await this.options.defaultId());
  }
}

/** Product rules an upload's shape cannot say: a checkpoint is one .safetensors file. */
function checkUpload(upload: ModelUpload): void {
  const paths = upload.files.map((file) => file.path);
  if (new Set(paths).size !== paths.length) {
    throw new ApiError('BAD_REQUEST', `${upload.name}: a file is listed twice.`);
  }
  const [first] = paths;
  if (
    upload.kind === 'checkpoint' &&
    (paths.length !== 1 || first!.includes('/') || !first!.endsWith('.safetensors'))
  ) {
    throw new ApiError('BAD_REQUEST', `${upload.name}: a checkpoint is one .safetensors file.`);
  }
}

/** The error with every path it could name replaced by what the page may read. */
function redact(error: ApiError, redactions: Redactions): ApiError {
  let message = error.message;
  for (const [from, to] of [...redactions].sort((a, b) => b[0].length - a[0].length)) {
    if (from) message = message.split(from).join(to);
  }
  return message === error.message ? error : new ApiError(error.code, message, error.details);
}

async function freeBytesOn(dir: string): Promise<number> {
  const stats = await statfs(dir);
  return stats.bavail * stats.bsize;
}
