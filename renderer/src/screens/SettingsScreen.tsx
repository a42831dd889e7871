import { useEffect, useState } from 'react';
import type { ModelSummary, Settings } from '../../../main/api/contract.ts';
import type { Outcome } from '../app/actions/effects/context.ts';
import { loadModels, makeDefaultModel } from '../app/actions/effects/models.ts';
import { saveSettings } from '../app/actions/effects/settings.ts';
import { deviceLabel, deviceSentence } from '../app/device.ts';
import { formatBytes, formatRetention } from '../app/format.ts';
import type { Loadable, Theme } from '../app/state.ts';
import { useStore } from '../app/store.tsx';
import { EmptyState } from '../components/EmptyState.tsx';
import { Icon } from '../components/Icon.tsx';
import { Notice } from '../components/Notice.tsx';
import { Pill, Screen } from '../components/Screen.tsx';
import { SegmentedControl, type Segment } from '../components/SegmentedControl.tsx';
import { Spinner } from '../components/Spinner.tsx';
import { ModelManager } from './ModelManager.tsx';
import { TerminalHelp } from './ModelScreen.tsx';

const RETENTION_CHOICES = [60, 300, 900, 3600, 86_400];
const THEMES: Segment<Theme>[] = [
  { value: 'system', label: 'System' },
  { value: 'light', label: 'Light' },
  { value: 'dark', label: 'Dark' },
];

export function SettingsScreen() {
  const store = useStore();
  const { api, state, dispatch } = store;
  const [models, setModels] = useState<Loadable<ModelSummary[]>>({ state: 'loading' });
  const [saveState, setSaveState] = useState<Outcome | null>(null);

  const reloadModels = () => {
    setModels({ state: 'loading' });
    void loadModels({ api }).then(setModels);
  };
  // Again once a model job installed one.
  useEffect(reloadModels, [api, state.modelsInstalled]);

  if (state.status.state !== 'ready') return null;
  const status = state.status.value;
  const { settings } = status;

  const save = async (patch: Partial<Settings>) => {
    setSaveState(null);
    setSaveState(await saveSettings(store, patch));
  };

  const makeDefault = async (id: string) => {
    const list = await makeDefaultModel(store, id);
    if (list.state === 'ready') setModels(list);
    else setSaveState({ tone: 'error', message: list.error.message });
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
                  onClick={reloadModels}
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
                    onChange={() => void makeDefault(model.id)}
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
              onChange={(event) => void save({ retentionSeconds: Number(event.target.value) })}
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
              onChange={(event) => void save({ instantMode: event.target.checked })}
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
                if (value !== settings.dailyRunLimit) void save({ dailyRunLimit: value });
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
          <SegmentedControl
            legend="Theme"
            name="theme"
            options={THEMES}
            value={state.theme}
            onChange={(theme) => dispatch({ type: 'themeChosen', payload: theme })}
          />
        </section>
      </div>
    </Screen>
  );
}
