import type { AppStatus, ApiErrorShape } from '../../../main/api/contract.ts';
import { startRun } from '../app/actions/effects/run.ts';
import { deviceLabel } from '../app/device.ts';
import { secondsFor } from '../app/estimate.ts';
import { formatDuration, formatNextAllowed, formatRetention, plural } from '../app/format.ts';
import { quotaLeft, runIsActive, startBlocker, verdictFor } from '../app/selectors.ts';
import { AVATAR_LIMITS, type AppState } from '../app/state.ts';
import { useStore } from '../app/store.tsx';
import { Icon } from '../components/Icon.tsx';
import { Notice } from '../components/Notice.tsx';
import { Pill, Screen } from '../components/Screen.tsx';
import { RunProgress } from './RunProgress.tsx';

export function GenerateScreen() {
  const store = useStore();
  const { state, dispatch } = store;
  if (state.status.state !== 'ready') return null;
  const status = state.status.value;
  const live = state.run;

  // A run going, or one that ended early (cancelled, failed) and says so; a finished one is in
  // the gallery, and this screen is the plan again (with the day's run now used).
  const ended = live?.outcome;
  if (live && (runIsActive(state) || ended?.cancelled || ended?.error)) {
    return <RunProgress />;
  }

  const blocker = startBlocker(state);
  return (
    <Screen
      id="generate"
      title="Ready to generate"
      subtitle="Here is what will happen. Nothing leaves this computer."
      footer={
        <>
          <button
            type="button"
            className="button"
            data-variant="ghost"
            onClick={() => dispatch({ type: 'stepChosen', payload: 'styles' })}
          >
            <Icon name="arrowLeft" /> Styles
          </button>
          <p className="action-hint" data-testid="start-blocker">
            {blocker ?? ''}
          </p>
          <button
            type="button"
            className="button"
            data-variant="primary"
            data-size="lg"
            disabled={blocker !== null || state.starting}
            onClick={() => void startRun(store, state)}
          >
            <Icon name="sparkles" />
            {state.starting ? 'Starting…' : `Generate ${plural(state.count, 'avatar')}`}
          </button>
        </>
      }
    >
      {state.startError && <StartError error={state.startError} />}
      <div className="generate-layout">
        <Plan
          state={state}
          status={status}
          onCount={(n) => dispatch({ type: 'countChosen', payload: n })}
        />
        <Rules status={status} />
      </div>
    </Screen>
  );
}

function Plan({
  state,
  status,
  onCount,
}: {
  state: AppState;
  status: AppStatus;
  onCount: (count: number) => void;
}) {
  const styles = state.styles.state === 'ready' ? state.styles.value : [];
  const chosen = state.selectedStyles.map(
    (id) => styles.find((style) => style.id === id)?.name ?? id,
  );
  const accepted = state.photos.filter((photo) => verdictFor(state, photo)?.ok).length;
  const estimate = secondsFor(state.count, status.secondsPerAvatar);

  return (
    <div className="card plan" data-testid="plan">
      <div className="field">
        <label htmlFor="avatar-count" className="field-label">
          Number of avatars
        </label>
        <div className="count-row">
          <input
            type="range"
            min={AVATAR_LIMITS.min}
            max={AVATAR_LIMITS.max}
            value={state.count}
            aria-label="Number of avatars (slider)"
            onChange={(event) => onCount(Number(event.target.value))}
          />
          <input
            id="avatar-count"
            className="count-input"
            type="number"
            min={AVATAR_LIMITS.min}
            max={AVATAR_LIMITS.max}
            value={state.count}
            onChange={(event) => onCount(Number(event.target.value))}
          />
        </div>
        <p className="field-hint">
          Up to {AVATAR_LIMITS.max}, spread evenly over your styles and photos.
        </p>
      </div>
      <dl className="facts">
        <div>
          <dt>
            <Icon name="image" /> Photos
          </dt>
          <dd>{plural(accepted, 'accepted photo')}</dd>
        </div>
        <div>
          <dt>
            <Icon name="sparkles" /> Styles
          </dt>
          <dd>{chosen.length > 0 ? chosen.join(', ') : 'None chosen yet'}</dd>
        </div>
        <div>
          <dt>
            <Icon name="box" /> Model
          </dt>
          <dd data-testid="plan-model">
            {status.model
              ? `${status.model.name} · ${status.model.precision}`
              : 'No model installed'}
          </dd>
        </div>
        <div>
          <dt>
            <Icon name="chip" /> Device
          </dt>
          <dd data-testid="plan-device">{deviceLabel(status)}</dd>
        </div>
        <div>
          <dt>
            <Icon name="clock" /> Estimated time
          </dt>
          <dd data-testid="plan-eta">
            {estimate === null
              ? 'Estimating… this computer times the first avatars once the run starts'
              : `About ${formatDuration(estimate)} (measured by the last run on this computer)`}
          </dd>
        </div>
      </dl>
    </div>
  );
}

function Rules({ status }: { status: AppStatus }) {
  const left = quotaLeft(status);
  const { settings, quota } = status;
  return (
    // A section, not an <aside>: a complementary landmark inside <main> is not top-level.
    <section className="card rules" aria-labelledby="rules-title" data-testid="rules">
      <h2 className="card-title" id="rules-title">
        Before you start
      </h2>
      <div className="rule">
        <span className="rule-icon">
          <Icon name="clock" />
        </span>
        <div>
          <p className="rule-title">
            {plural(quota.limit, 'run')} per day{' '}
            <Pill tone={left > 0 ? 'success' : 'warning'} testId="quota-pill">
              {left > 0 ? `${left} left today` : 'used today'}
            </Pill>
          </p>
          <p className="rule-text" data-testid="quota-rule">
            {left > 0
              ? `Starting uses today's run, even if you cancel once avatars are made. A run that ends before its first avatar gives it back.`
              : `You've used today's run. The next run is allowed at ${quota.nextAllowedAt ? formatNextAllowed(quota.nextAllowedAt) : '00:00 tomorrow'}.`}
          </p>
        </div>
      </div>
      <div className="rule">
        <span className="rule-icon">
          <Icon name="shield" />
        </span>
        <div>
          <p className="rule-title">Deleted automatically</p>
          <p className="rule-text" data-testid="retention-rule">
            Your photos and avatars are encrypted and deleted{' '}
            {settings.retentionSeconds === 0
              ? 'as soon as the run ends'
              : `${formatRetention(settings.retentionSeconds)} after the run ends`}
            {settings.instantMode ? '; your photos as soon as the last avatar is made' : ''}. Export
            the ones you want to keep.
          </p>
        </div>
      </div>
      <div className="rule">
        <span className="rule-icon">
          <Icon name="monitor" />
        </span>
        <div>
          <p className="rule-title">On this computer only</p>
          <p className="rule-text">No upload, no account, no network: the model runs here.</p>
        </div>
      </div>
    </section>
  );
}

export function StartError({ error }: { error: ApiErrorShape }) {
  switch (error.code) {
    case 'QUOTA_EXCEEDED':
      return (
        <Notice tone="warning" title="Today's run is used" testId="start-error">
          {error.message}{' '}
          {error.nextAllowedAt !== undefined &&
            `Next run allowed at ${formatNextAllowed(error.nextAllowedAt)}.`}
        </Notice>
      );
    case 'PHOTOS_REFUSED':
      return (
        <Notice tone="error" title="Some photos were refused" testId="start-error">
          {error.message}
        </Notice>
      );
    case 'RUN_IN_PROGRESS':
      return (
        <Notice tone="info" title="A run is already going" testId="start-error">
          {error.message}
        </Notice>
      );
    default:
      return (
        <Notice tone="error" title="The run could not start" testId="start-error">
          {error.message}
        </Notice>
      );
  }
}
