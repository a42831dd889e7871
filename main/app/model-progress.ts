/**
 * A model job's progress as the page sees it: one 'model:progress' event per change worth
 * showing (a new step at once, the same step at most four times a second), with a time left
 * measured from the step's own rate.
 */
import type { ModelJobPhase } from '../api/contract.ts';
import type { BuildProgress } from '../models/from-weights/build-folder.ts';
import type { InstallProgress } from '../models/install.ts';
import type { Emit } from './runs.ts';

const MIN_INTERVAL_MS = 250;

/** The graphs a build writes, in words; another name is shown as it is. */
const COMPONENTS: Readonly<Record<string, string>> = {
  text_encoder: 'the text encoder',
  unet: 'the UNet',
  vae_encoder: 'the image encoder',
  vae_decoder: 'the image decoder',
  taesd_encoder: 'the fast preview encoder',
  taesd_decoder: 'the fast preview decoder',
};

export class ModelProgress {
  private label = '';
  private sentAt = 0;
  /** When the current phase began, and how far it was then: its rate gives the time left. */
  private phase = { name: '', startedAt: 0, done: 0 };

  constructor(
    private readonly jobId: string,
    private readonly emit: Emit,
    private readonly now: () => number = Date.now,
  ) {}

  /** `etaSeconds`: the caller's own estimate (a download's); else one from this step's rate. */
  report(phase: ModelJobPhase, label: string, done: number, total: number, etaSeconds?: number) {
    const now = this.now();
    if (phase !== this.phase.name) this.phase = { name: phase, startedAt: now, done };
    const finished = done >= total;
    if (label === this.label && !finished && now - this.sentAt < MIN_INTERVAL_MS) return;
    this.label = label;
    this.sentAt = now;
    const eta = etaSeconds ?? this.measuredEta(now, done, total);
    this.emit('model:progress', {
      jobId: this.jobId,
      phase,
      label,
      done,
      total,
      fraction: total > 0 ? Math.min(done / total, 1) : 1,
      ...(eta === undefined ? {} : { etaSeconds: eta }),
    });
  }

  /** A build's step: the component being written, or the check that follows the last one. */
  build({ component, done, total }: BuildProgress): void {
    if (component === 'done' || done >= total) {
      this.report('check', 'Checking the built model', 0, 1);
    } else {
      const what = COMPONENTS[component] ?? component;
      this.report('build', `Building ${what} (${done + 1} of ${total})`, done, total);
    }
  }

  /** An install's download, then (a diffusers entry) its build. */
  install(name: string, progress: InstallProgress): void {
    if (progress.phase === 'build') return this.build(progress);
    const { bytesDone, bytesTotal, etaSeconds } = progress;
    this.report(
      'download',
      `Downloading ${name}`,
      bytesDone,
      bytesTotal,
      etaSeconds === null ? undefined : etaSeconds,
    );
  }

  /** The phase's rate so far, once it has one (components differ: a build's is rough). */
  private measuredEta(now: number, done: number, total: number): number | undefined {
    const { startedAt, done: doneAtStart } = this.phase;
    if (done <= doneAtStart || done >= total || now - startedAt < 500) return undefined;
    const perMs = (done - doneAtStart) / (now - startedAt);
    return (total - done) / perMs / 1000;
  }
}
