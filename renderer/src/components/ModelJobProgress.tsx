import { useEffect, useRef } from 'react';
import type { ModelJobPhase } from '../../../main/api/contract.ts';
import { formatBytes, formatDuration } from '../app/format.ts';
import type { ModelJobState } from '../app/state.ts';
import { Icon } from './Icon.tsx';
import { ProgressBar } from './ProgressBar.tsx';

/** Phases whose progress counts bytes (the others count components or steps). */
const IN_BYTES: readonly ModelJobPhase[] = ['upload', 'download'];

/** A model job under way: what it is doing, how far (percent, amount, time left), cancel. */
export function ModelJobProgress({ job, onCancel }: { job: ModelJobState; onCancel: () => void }) {
  const cancelButton = useRef<HTMLButtonElement>(null);
  // The button that started the job went away or was disabled: keep the keyboard user here.
  useEffect(() => {
    if (document.activeElement === document.body) cancelButton.current?.focus();
  }, []);
  const { progress } = job;
  const percent = progress ? Math.floor(progress.fraction * 100) : 0;
  const label = progress?.label ?? 'Starting…';
  const amount =
    progress && IN_BYTES.includes(progress.phase)
      ? `${formatBytes(progress.done)} of ${formatBytes(progress.total)}`
      : null;
  const eta =
    progress?.etaSeconds !== undefined ? `about ${formatDuration(progress.etaSeconds)} left` : null;
  return (
    <div className="model-job" data-testid="model-job" data-phase={progress?.phase ?? 'starting'}>
      <div className="model-job-text">
        <p className="model-job-label" data-testid="model-job-label">
          {label}
        </p>
        <p className="model-job-numbers">
          <span data-testid="model-job-percent">{percent}%</span>
          {amount && ` · ${amount}`}
          {eta && <span data-testid="model-job-eta"> · {eta}</span>}
        </p>
      </div>
      <ProgressBar
        label={job.name ? `Installing ${job.name}` : 'Installing the model'}
        value={percent}
        max={100}
        valueText={`${label}: ${percent}%`}
        testId="model-job-progress"
      />
      <button
        ref={cancelButton}
        type="button"
        className="button"
        data-variant="danger-ghost"
        disabled={job.cancelling || job.jobId === null}
        onClick={onCancel}
      >
        <Icon name="stop" /> {job.cancelling ? 'Cancelling…' : 'Cancel'}
      </button>
    </div>
  );
}
