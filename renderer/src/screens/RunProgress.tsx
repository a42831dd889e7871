import type { RunPhase } from '../../../main/api/contract.ts';
import { toApiError } from '../api.ts';
import { formatDuration, plural } from '../app/format.ts';
import { useStore } from '../app/store.tsx';
import { Icon } from '../components/Icon.tsx';
import { Notice } from '../components/Notice.tsx';
import { ProgressBar } from '../components/ProgressBar.tsx';
import { Screen } from '../components/Screen.tsx';
import { Spinner } from '../components/Spinner.tsx';

const PHASES: Record<RunPhase, string> = {
  loading: 'Loading the model…',
  intake: 'Checking and preparing your photos…',
  generating: 'Generating avatars…',
  done: 'Finishing…',
};

/** The run going on: overall progress with ETA, each avatar's progress, cancel; then its end. */
export function RunProgress() {
  const { api, state, dispatch } = useStore();
  const run = state.run;
  if (!run) return null;
  const gallery = state.gallery.find((entry) => entry.runId === run.runId);
  const avatars = gallery?.avatars ?? [];
  const progress = run.progress;
  const total = progress?.avatarsTotal ?? state.count;
  const done = progress?.avatarsDone ?? avatars.length;
  const outcome = run.outcome;

  const cancel = () => {
    dispatch({ type: 'cancelRequested' });
    api
      .cancelRun(run.runId)
      .catch((error: unknown) => dispatch({ type: 'cancelFailed', payload: toApiError(error) }));
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
            {avatars.length > 0 && (
              <button
                type="button"
                className="button"
                data-variant="primary"
                onClick={() => dispatch({ type: 'stepChosen', payload: 'gallery' })}
              >
                Open the gallery <Icon name="arrowRight" />
              </button>
            )}
          </>
        ) : (
          <>
            <span className="action-hint" />
            <button
              type="button"
              className="button"
              data-variant="danger"
              disabled={run.cancelling}
              onClick={cancel}
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
      <div className="card run-card" aria-live="polite" aria-busy={!outcome}>
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
            {!outcome && progress?.etaSeconds !== undefined
              ? `About ${formatDuration(progress.etaSeconds)} left`
              : !outcome
                ? 'Estimating time left…'
                : ''}
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
    </Screen>
  );
}
