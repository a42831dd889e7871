/**
 * Avatar runs as the page sees them: one at a time, started by a request that answers once the
 * run exists, then reported by events; and this session's avatars, by id, for the gallery, the
 * image URLs and export.
 */
import {
  ApiError,
  type ApiEvent,
  type ApiEvents,
  type AvatarSummary,
  type RunProgressEvent,
  type RunRequest,
} from '../api/contract.ts';
import type { JobResources } from '../jobs/resources.ts';
import { runAvatars } from '../jobs/run-avatars.ts';
import type { AvatarRecord, AvatarRunResult } from '../jobs/types.ts';
import type { Store } from '../store/index.ts';
import { toApiError } from './errors.ts';
import { submittedPhotos } from './photos.ts';

export type Emit = <E extends ApiEvent>(event: E, payload: ApiEvents[E]) => void;

export interface RunsOptions {
  store: Store;
  /** Avatar side in pixels. */
  size: number;
  /** Warm resources for the model the next run uses. */
  resources: () => Promise<JobResources>;
  emit: Emit;
}

interface ActiveRun {
  /** Unset until intake passed and the quota was charged. */
  runId?: string;
  controller: AbortController;
  /** Generations moderation refused so far (for an end by failure, which has no result). */
  blocked: number;
  /** Its latest progress event: a page that reloads mid-run shows the counter at once. */
  progress?: RunProgressEvent;
  /** Settles when the run has ended and its last event is sent; never rejects. */
  ended: Promise<void>;
}

export class Runs {
  private active: ActiveRun | undefined;
  /** This session's runs and their avatars, best likeness first once a run has finished. */
  private readonly avatarsByRun = new Map<string, AvatarSummary[]>();
  /** Which run each avatar id belongs to: only these ids are ever served or exported. */
  private readonly runOfAvatar = new Map<string, string>();
  /** What an avatar took in the last run that finished, and with which model. */
  private measured: { modelDir: string; secondsPerAvatar: number } | undefined;

  constructor(private readonly options: RunsOptions) {}

  get activeRunId(): string | null {
    return this.active?.runId ?? null;
  }

  get activeRunProgress(): RunProgressEvent | null {
    return this.active?.progress ?? null;
  }

  /**
   * Seconds per avatar (generation's wall time, moderation and likeness included) of this
   * session's last finished run, when it ran `modelDir`: the next run's estimate. Null before one.
   */
  secondsPerAvatar(modelDir: string | undefined): number | null {
    return this.measured && this.measured.modelDir === modelDir
      ? this.measured.secondsPerAvatar
      : null;
  }

  /**
   * Answers once the run exists. Intake refusals, the quota and bad styles reject this call (the
   * page shows them where the user pressed start); everything after is reported by events.
   */
  async start(request: RunRequest): Promise<{ runId: string }> {
    if (this.active) {
      throw new ApiError(
        'RUN_IN_PROGRESS',
        'A run is already going: wait for it to finish or cancel it first.',
      );
    }
    const run: ActiveRun = {
      controller: new AbortController(),
      blocked: 0,
      ended: Promise.resolve(),
    };
    this.active = run;
    let started!: (runId: string) => void;
    const runId = new Promise<string>((resolve) => (started = resolve));
    const outcome = this.execute(run, request, started).then(
      (result) => ({ result }),
      (error: unknown) => ({ error }),
    );
    run.ended = outcome.then((ended) => this.end(run, ended));
    // Whichever comes first: the run's id, or the failure that kept it from starting.
    return {
      runId: await Promise.race([
        runId,
        outcome.then((ended) => {
          if ('error' in ended) throw ended.error;
          return runId;
        }),
      ]),
    };
  }

  /** Returns once the run has stopped (its 'run:finished' sent); a run already over is fine. */
  async cancel(runId: string): Promise<void> {
    if (this.active?.runId === runId) {
      this.active.controller.abort();
      await this.active.ended;
    } else if (!this.avatarsByRun.has(runId)) {
      throw new ApiError('NOT_FOUND', `No run ${runId} in this session.`);
    }
  }

  /** A run's avatars so far (a reload mid-run) or all of them, best likeness first. */
  avatars(runId: string): AvatarSummary[] {
    const avatars = this.avatarsByRun.get(runId);
    if (!avatars) throw new ApiError('NOT_FOUND', `No run ${runId} in this session.`);
    if (!this.options.store.countdown().some((run) => run.id === runId)) {
      this.forget(runId);
      throw new ApiError('NOT_FOUND', `The images of run ${runId} have been deleted.`);
    }
    return [...avatars];
  }

  /** The avatar's id and style, or NOT_FOUND: never an upload, never another session's file. */
  avatar(id: string): AvatarSummary {
    const runId = this.runOfAvatar.get(id);
    const avatar = runId && this.avatarsByRun.get(runId)?.find((a) => a.id === id);
    if (!avatar) throw new ApiError('NOT_FOUND', `No avatar ${id}: it was deleted or never made.`);
    return avatar;
  }

  /** Shreds one run, or all; a run still going is stopped first. */
  async deleteNow(runId?: string): Promise<{ runs: number; files: number }> {
    if (this.active && (runId === undefined || runId === this.active.runId)) {
      this.active.controller.abort();
      await this.active.ended;
    }
    const report = this.options.store.deleteNow(runId);
    for (const id of runId === undefined ? [...this.avatarsByRun.keys()] : [runId]) {
      this.forget(id);
    }
    return { runs: report.runs, files: report.files };
  }

  /** Stops a run still going (its uploads are shredded, as for any cancel). */
  async close(): Promise<void> {
    this.active?.controller.abort();
    await this.active?.ended;
  }

  private async execute(
    run: ActiveRun,
    request: RunRequest,
    started: (runId: string) => void,
  ): Promise<AvatarRunResult> {
    const { size, emit } = this.options;
    return runAvatars(
      await this.options.resources(),
      {
        photos: submittedPhotos(request.photos),
        styleIds: request.styleIds,
        count: request.count,
        size,
        source: 'app',
      },
      {
        signal: run.controller.signal,
        onStarted: (runId) => {
          run.runId = runId;
          this.avatarsByRun.set(runId, []);
          started(runId);
        },
        // Intake's progress comes before the run has an id: the start request is still open.
        onProgress: (progress) => {
          run.blocked = progress.blocked;
          if (!run.runId) return;
          run.progress = { runId: run.runId, ...progress };
          emit('run:progress', run.progress);
        },
        onAvatar: (record) => {
          const avatar = this.remember(run.runId!, record);
          emit('run:avatar', { runId: run.runId!, avatar });
        },
      },
    );
  }

  /** The run is over: the slot frees, and a run that had started says how it ended. */
  private end(run: ActiveRun, ended: { result: AvatarRunResult } | { error: unknown }): void {
    this.active = undefined;
    if (!run.runId) return;
    if ('result' in ended) {
      const { runId, cancelled, blocked, model, timings } = ended.result;
      const avatars = ended.result.avatars.map(summary);
      // A cancel's last avatar was cut short: only a whole run tells what one costs.
      if (!cancelled && avatars.length > 0) {
        this.measured = {
          modelDir: model.dir,
          secondsPerAvatar: timings.generateMs / 1000 / avatars.length,
        };
      }
      this.avatarsByRun.set(runId, avatars);
      this.options.emit('run:finished', { runId, cancelled, avatars, blocked });
    } else {
      this.options.emit('run:finished', {
        runId: run.runId,
        cancelled: false,
        avatars: this.avatarsByRun.get(run.runId) ?? [],
        blocked: run.blocked,
        error: toApiError(ended.error).toJSON(),
      });
    }
  }

  private remember(runId: string, record: AvatarRecord): AvatarSummary {
    const avatar = summary(record);
    this.avatarsByRun.get(runId)?.push(avatar);
    this.runOfAvatar.set(avatar.id, runId);
    return avatar;
  }

  private forget(runId: string): void {
    for (const avatar of this.avatarsByRun.get(runId) ?? []) this.runOfAvatar.delete(avatar.id);
    this.avatarsByRun.delete(runId);
  }
}

/** An avatar as the page sees it: its likeness is scored before it is announced. */
function summary(record: AvatarRecord): AvatarSummary {
  const { fileId, index, styleId, photo, seed, identity } = record;
  return { id: fileId, index, styleId, photo, seed, identity };
}
