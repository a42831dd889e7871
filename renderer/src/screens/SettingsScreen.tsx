import { useEffect, useState } from 'react';
import type { ModelSummary, Settings } from '../../../main/api/contract.ts';
import { toApiError } from '../api.ts';
import { deviceLabel, deviceSentence } from '../app/device.ts';
import { formatBytes, formatRetention } from '../app/format.ts';
import type { Loadable, Theme } from '../app/state.ts';
import { useStore } from '../app/store.tsx';
import { EmptyState } from '../components/EmptyState.tsx';
import { Icon } from '../components/Icon.tsx';
import { Notice } from '../components/Notice.tsx';
import { Pill, Screen } from '../components/Screen.tsx';
import { Spinner } from '../components/Spinner.tsx';
import { ModelManager } from './ModelManager.tsx';
import { TerminalHelp } from './ModelScreen.tsx';

const RETENTION_CHOICES = [60, 300, 900, 3600, 86_400];
const THEMES: { id: Theme; label: string }[] = [
  { id: 'system', label: 'System' },
  { id: 'light', label: 'Light' },
  { id: 'dark', label: 'Dark' },
];

export function SettingsScreen() {
  const { api, state, dispatch } = useStore();
  const [models, setModels] = useState<Loadable<ModelSummary[]>>({ state: 'loading' });
  const [saveState, setSaveState] = useState<{ tone: 'success' | 'error'; message: string } | null>(
    null,
  );

  const loadModels = () => {
    setModels({ state: 'loading' });
    api
      .listModels()
      .then((value) => setModels({ state: 'ready', value }))
      .catch((error: unknown) => setModels({ state: 'error', error: toApiError(error) }));
  };
  // Again once a model job installed one.
  useEffect(loadModels, [api, state.modelsInstalled]);

  if (state.status.state !== 'ready') return null;
  const status = state.status.value;
  const { settings } = status;

  const save = (patch: Partial<Settings>) => {
    setSaveState(null);
    api
      .updateSettings(patch)
      .then((saved) => {
        dispatch({ type: 'settingsSaved', payload: saved });
        setSaveState({ tone: 'success', message: 'Saved.' });
      })
      .catch((error: unknown) =>
        setSaveState({ tone: 'error', message: toApiError(error).message }),
      );
  };

  const makeDefault = (id: string) => {
    api
      .setDefaultModel(id)
      .then(() => Promise.all([api.status(), api.listModels()]))
      .then(([fresh, list]) => {
        dispatch({ type: 'statusLoaded', payload: fresh });
        setModels({ state: 'ready', value: list });
      })
      .catch((error: unknown) =>
        setSaveState({ tone: 'error', message: toApiError(error).message }),
      );
  };

  const listed = (id: string) => models.state === 'ready' && models.value.some((m) => m.id === id);

  const retentionChoices = RETENTION_CHOICES.includes(settings.retentionSeconds)
    ? RETENTION_CHOICES
    : [...RETENTION_CHOICES, settings.retentionSeconds].sort((a, b) => a - b);

  return (
    <Screen
      id="settings"
      title="Settings"
      subtitle="Everything here applies to this computer only."
      aside={
        <button
          type="button"
          className="button"
          data-variant="secondary"
          onClick={() => dispatch({ type: 'viewChosen', payload: 'studio' })}
        >
          <Icon name="arrowLeft" /> Back to the studio
        </button>
      }
    >
      <div aria-live="polite">
        {saveState && (
          <Notice tone={saveState.tone} testId="settings-status">
            {saveState.message}
          </Notice>
        )}
      </div>
      <div className="settings-grid">
        <section className="card settings-section settings-models" aria-labelledby="settings-model">
          <h2 id="settings-model" className="card-title">
            <Icon name="box" /> Model
          </h2>
          {models.state === 'loading' && <Spinner label="Loading models…" />}
          {models.state === 'error' && (
            <Notice
              tone="error"
              title="The models could not be listed"
              action={
                <button
                  type="button"
                  className="button"
                  data-variant="secondary"
                  onClick={loadModels}
                >
                  Try again
                </button>
              }
            >
              {models.error.message}
            </Notice>
          )}
          {models.state === 'ready' && models.value.length === 0 && !status.model && (
            <EmptyState icon="box" title="No model installed" />
          )}
          {status.model && !listed(status.model.id) && (
            <div className="model-option" data-testid="model-in-use">
              <span className="model-text">
                <span className="model-name">{status.model.name}</span>
                <span className="model-meta">
                  {status.model.family} · {status.model.precision} ·{' '}
                  {formatBytes(status.model.bytes)} · opened from a folder for this session
                </span>
              </span>
              <Pill tone="accent">In use</Pill>
            </div>
          )}
          {models.state === 'ready' && models.value.length > 0 && (
            <fieldset className="model-list">
              <legend className="field-hint">Installed: the default is used for new runs</legend>
              {models.value.map((model) => (
                <label key={model.id} className="model-option">
                  <input
                    type="radio"
                    name="default-model"
                    checked={model.isDefault}
                    onChange={() => makeDefault(model.id)}
                  />
                  <span className="model-text">
                    <span className="model-name">{model.name}</span>
                    <span className="model-meta">
                      {model.family} · {model.precision} · {formatBytes(model.bytes)}
                      {model.provenance && ` · ${model.provenance}`}
                    </span>
                  </span>
                  {model.id === status.model?.id && <Pill tone="accent">In use</Pill>}
                </label>
              ))}
            </fieldset>
          )}
          <ModelManager level={3} />
          <TerminalHelp />
        </section>

        <section className="card settings-section" aria-labelledby="settings-device">
          <h2 id="settings-device" className="card-title">
            <Icon name="chip" /> Device
          </h2>
          <p className="device-now" data-testid="settings-device">
            {deviceLabel(status)}
          </p>
          <p data-testid="device-sentence">{deviceSentence(status)}</p>
          {status.device && status.device.fallbacks.length > 0 && (
            <details className="disclosure" data-testid="device-details">
              <summary>Details for a technician</summary>
              {status.device.fallbacks.map((fallback) => (
                <p key={fallback.provider} className="field-hint">
                  {fallback.provider.toUpperCase()}: {fallback.reason}
                </p>
              ))}
            </details>
          )}
          <p className="field-hint">
            Avatar Studio tries your GPU first and falls back to the CPU, saying why.
          </p>
        </section>

        <section className="card settings-section" aria-labelledby="settings-privacy">
          <h2 id="settings-privacy" className="card-title">
            <Icon name="shield" /> Privacy
          </h2>
          <div className="field">
            <label className="field-label" htmlFor="retention">
              Delete photos and avatars
            </label>
            <select
              id="retention"
              className="select"
              value={settings.retentionSeconds}
              onChange={(event) => save({ retentionSeconds: Number(event.target.value) })}
            >
              {retentionChoices.map((seconds) => (
                <option key={seconds} value={seconds}>
                  {seconds === 0
                    ? 'As soon as the run ends'
                    : `${formatRetention(seconds)} after the run`}
                  {seconds === 300 ? ' (default)' : ''}
                </option>
              ))}
            </select>
          </div>
          <label className="switch">
            <input
              type="checkbox"
              checked={settings.instantMode}
              onChange={(event) => save({ instantMode: event.target.checked })}
            />
            <span className="switch-track" aria-hidden="true" />
            <span>
              Instant mode
              <span className="field-hint">
                Delete your photos the moment the last avatar is made.
              </span>
            </span>
          </label>
        </section>

        <section className="card settings-section" aria-labelledby="settings-limit">
          <h2 id="settings-limit" className="card-title">
            <Icon name="clock" /> Daily limit
          </h2>
          <div className="field">
            <label className="field-label" htmlFor="daily-limit">
              Generation runs per day
            </label>
            <input
              id="daily-limit"
              className="count-input"
              type="number"
              min={1}
              max={10}
              defaultValue={settings.dailyRunLimit}
              onBlur={(event) => {
                const value = Number(event.target.value);
                if (value !== settings.dailyRunLimit) save({ dailyRunLimit: value });
              }}
            />
            <p className="field-hint">
              {status.quota.used} used today. A run that ends before its first avatar does not
              count.
            </p>
          </div>
        </section>

        <section className="card settings-section" aria-labelledby="settings-look">
          <h2 id="settings-look" className="card-title">
            <Icon name="sun" /> Appearance
          </h2>
          <fieldset className="segmented-field">
            <legend className="field-label">Theme</legend>
            <div className="segmented">
              {THEMES.map((theme) => (
                <label key={theme.id}>
                  <input
                    type="radio"
                    name="theme"
                    checked={state.theme === theme.id}
                    onChange={() => dispatch({ type: 'themeChosen', payload: theme.id })}
                  />
                  <span>{theme.label}</span>
                </label>
              ))}
            </div>
          </fieldset>
        </section>
      </div>
    </Screen>
  );
}
