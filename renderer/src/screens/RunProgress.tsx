import { useState } from 'react';
import type { AppStatus, RunPhase } from '../../../main/api/contract.ts';
import { cancelRun } from '../app/actions/effects/run.ts';
import { runSecondsLeft } from '../app/estimate.ts';
import { formatDuration, formatNextAllowed, plural } from '../app/format.ts';
import { useStore } from '../app/store.tsx';
import { ConfirmDialog } from '../components/ConfirmDialog.tsx';
import { Icon } from '../components/Icon.tsx';
import { Notice } from '../components/Notice.tsx';
import { ProgressBar } from '../components/ProgressBar.tsx';
import { Screen } from '../components/Screen.tsx';
import { Spinner } from '../components/Spinner.tsx';
import { OpenGalleryButton } from './OpenGalleryButton.tsx';

const PHASES: Record<RunPhase, string> = {
  loading: 'Loading the model…',
  intake: 'Checking and preparing your photos…',
  generating: 'Generating avatars…',
  done: 'Finishing…',
};

/** The run going on: overall progress with ETA, each avatar's progress, cancel; then its end. */
export function RunProgress() {
  const store = useStore();
  const { api, state, dispatch } = store;
  const [confirmingCancel, setConfirmingCancel] = useState(false);
  const run = state.run;
  if (!run || state.status.state !== 'ready') return null;
  const status = state.status.value;
  const gallery = state.gallery.find((entry) => entry.runId === run.runId);
  const avatars = gallery?.avatars ?? [];
  const progress = run.progress;
  const total = progress?.avatarsTotal ?? state.count;
  // The avatar's own event may come just before the progress that counts it.
  const done = Math.max(progress?.avatarsDone ?? 0, avatars.length);
  const outcome = run.outcome;

  const cancel = () => {
    setConfirmingCancel(false);
    void cancelRun(store, run.runId);
  };

  const title = !outcome
    ? 'Generating your avatars'
    : outcome.error
      ? 'The run failed'
      : outcome.cancelled
        ? 'Run cancelled'
        : 'Your avatars are ready';

  const byIndex = new Map(avatars.map((avatar) => [avatar.index, avatar]));
  const overallText = `${done} of ${plural(total, 'avatar')}`;
  const left = runSecondsLeft(progress, total, status.secondsPerAvatar);
  const eta = outcome
    ? ''
    : left === null
      ? 'Estimating time left…'
      : `About ${formatDuration(left)} left${progress?.etaSeconds === undefined ? ' (judging by the last run)' : ''}`;

  return (
    <Screen
      id="progress"
      title={title}
      subtitle={
        outcome
          ? undefined
          : 'You can keep this window open or use other apps; it runs on this computer.'
      }
      footer={
        outcome ? (
          <>
            <button
              type="button"
              className="button"
              data-variant="ghost"
              onClick={() => dispatch({ type: 'runDismissed' })}
            >
              Back to the plan
            </button>
            <span className="action-hint" />
            {avatars.length > 0 && <OpenGalleryButton />}
          </>
        ) : (
          <>
            <span className="action-hint" />
            <button
              type="button"
              className="button"
              data-variant="danger"
              disabled={run.cancelling}
              // Before the first avatar a cancel gives the day's run back: nothing to confirm.
              onClick={() => (done > 0 ? setConfirmingCancel(true) : cancel())}
            >
              <Icon name="stop" /> {run.cancelling ? 'Cancelling…' : 'Cancel run'}
            </button>
          </>
        )
      }
    >
      {state.startError && (
        <Notice tone="error" title="Could not cancel">
          {state.startError.message}
        </Notice>
      )}
      {outcome?.cancelled && (
        <Notice tone="info" title="Cancelled" testId="run-outcome">
          The run stopped and your uploaded photos were deleted.{' '}
          {avatars.length > 0
            ? `${plural(avatars.length, 'avatar')} made before you cancelled ${avatars.length === 1 ? 'is' : 'are'} in the gallery until the countdown ends.`
            : "No avatar was made, so today's run was given back."}
        </Notice>
      )}
      {outcome?.error && (
        <Notice tone="error" title="Something went wrong" testId="run-outcome">
          {outcome.error.message} Your uploaded photos were deleted.
        </Notice>
      )}
      {/* Not a live region: it changes every step. App's run announcer speaks the milestones. */}
      <div className="card run-card">
        <div className="run-overall">
          <div className="run-overall-text">
            <p className="run-count" data-testid="overall-count">
              {overallText}
            </p>
            <p className="run-phase">
              {outcome ? (
                'Finished'
              ) : progress ? (
                PHASES[progress.phase]
              ) : (
                <Spinner label="Starting…" />
              )}
            </p>
          </div>
          <p className="run-eta" data-testid="eta">
            {eta}
          </p>
        </div>
        <ProgressBar
          label="Overall progress"
          value={done}
          max={total}
          valueText={overallText}
          testId="overall-progress"
        />
        {progress && progress.blocked > 0 && (
          <p className="run-note">
            <Icon name="shield" /> {plural(progress.blocked, 'avatar')} failed the safety check and
            {progress.blocked === 1 ? ' was' : ' were'} made again.
          </p>
        )}
      </div>
      <ol className="slot-grid" aria-label="Avatars">
        {Array.from({ length: total }, (_, index) => {
          const avatar = byIndex.get(index);
          const current = !outcome && progress?.current?.index === index ? progress.current : null;
          const slotState = avatar ? 'done' : current ? 'current' : outcome ? 'skipped' : 'pending';
          return (
            <li key={index} className="slot" data-state={slotState} data-testid="avatar-slot">
              {avatar ? (
                <img
                  src={api.imageUrl({ kind: 'avatar', id: avatar.id })}
                  alt={`Avatar ${index + 1}`}
                />
              ) : (
                <span className="slot-label">{index + 1}</span>
              )}
              {current && (
                <span className="slot-progress">
                  <ProgressBar
                    size="sm"
                    label={`Avatar ${index + 1}`}
                    value={current.step}
                    max={current.steps}
                    valueText={`Step ${current.step} of ${current.steps}`}
                  />
                </span>
              )}
              <span className="visually-hidden">
                {slotState === 'done'
                  ? 'done'
                  : current
                    ? `step ${current.step} of ${current.steps}`
                    : slotState}
              </span>
            </li>
          );
        })}
      </ol>
      {confirmingCancel && !outcome && (
        <ConfirmDialog
          title="Cancel the run?"
          confirmLabel="Cancel the run"
          confirmIcon="stop"
          keepLabel="Keep generating"
          onConfirm={cancel}
          onKeep={() => setConfirmingCancel(false)}
          testId="confirm-cancel"
        >
          <p>{cancelCost(done, status)}</p>
          <p>
            The {plural(done, 'avatar')} made so far stay in the gallery until the deletion
            countdown ends.
          </p>
        </ConfirmDialog>
      )}
    </Screen>
  );
}

/** What a cancel after the first avatar costs: the run counts against the day's quota. */
function cancelCost(done: number, status: AppStatus): string {
  const { limit, used, nextAllowedAt } = status.quota;
  const made = `${plural(done, 'avatar')} ${done === 1 ? 'is' : 'are'} made`;
  if (limit === 1) {
    const next = nextAllowedAt ? formatNextAllowed(nextAllowedAt) : '00:00 tomorrow';
    return `${made}, so cancelling now still uses today's only run: the next one is allowed at ${next}.`;
  }
  return `${made}, so cancelling now still counts as run ${used} of the ${limit} allowed today.`;
}
