import { useCallback, useEffect, useReducer } from 'react';
import type { AvatarStudioApi } from '../../main/api/contract.ts';
import { loadStatus, loadStyles } from './app/actions/effects/app.ts';
import { reducer } from './app/actions/index.ts';
import { photosReady, runAnnouncement, runIsActive, stylesReady } from './app/selectors.ts';
import { STEPS, initialState, type Step, type Theme } from './app/state.ts';
import { StoreProvider } from './app/store.tsx';
import { EmptyState } from './components/EmptyState.tsx';
import { Icon } from './components/Icon.tsx';
import { StepHeader } from './components/StepHeader.tsx';
import { useCountdowns } from './hooks/useCountdowns.ts';
import { useModelEvents } from './hooks/useModelEvents.ts';
import { usePhotoCheck } from './hooks/usePhotoCheck.ts';
import { useRunEvents } from './hooks/useRunEvents.ts';
import { useTheme } from './hooks/useTheme.ts';
import { GalleryScreen } from './screens/GalleryScreen.tsx';
import { GenerateScreen } from './screens/GenerateScreen.tsx';
import { IntakeScreen } from './screens/IntakeScreen.tsx';
import { ModelScreen } from './screens/ModelScreen.tsx';
import { SettingsScreen } from './screens/SettingsScreen.tsx';
import { StylesScreen } from './screens/StylesScreen.tsx';

const THEME_ORDER: Theme[] = ['system', 'light', 'dark'];
const THEME_ICON = { system: 'monitor', light: 'sun', dark: 'moon' } as const;

export function App({ api, savedTheme }: { api: AvatarStudioApi; savedTheme: Theme }) {
  const [state, dispatch] = useReducer(reducer, savedTheme, initialState);

  const refreshStatus = useCallback(() => void loadStatus({ api, dispatch }), [api]);

  useEffect(() => {
    refreshStatus();
    void loadStyles({ api, dispatch });
  }, [api, refreshStatus]);

  useRunEvents(api, dispatch);
  // A model just installed may be the first: the status says, and the studio opens.
  useModelEvents(api, dispatch, refreshStatus);
  usePhotoCheck(api, state.photos, dispatch);
  useTheme(state.theme);
  const refreshRuns = useCountdowns(api, state, dispatch);

  // The quota changes when a run starts or ends: keep the status current.
  const outcome = state.run?.outcome;
  const runId = state.run?.runId;
  useEffect(() => {
    if (runId) refreshStatus();
  }, [runId, outcome, refreshStatus]);

  const done: Record<Step, boolean> = {
    photos: photosReady(state),
    styles: stylesReady(state),
    generate: state.gallery.length > 0 && !runIsActive(state),
    gallery: false,
  };

  const nextTheme = THEME_ORDER[(THEME_ORDER.indexOf(state.theme) + 1) % THEME_ORDER.length]!;

  return (
    <StoreProvider value={{ api, state, dispatch }}>
      <div className="app">
        <header className="topbar">
          <div className="brand">
            <span className="brand-mark" aria-hidden="true">
              <Icon name="sparkles" size={18} />
            </span>
            <span className="brand-name">Avatar Studio</span>
          </div>
          {state.status.state === 'ready' && state.status.value.model && (
            <StepHeader
              steps={STEPS.map((step) => ({ ...step, done: done[step.id] }))}
              current={state.view === 'studio' ? state.step : null}
              onChoose={(step) => dispatch({ type: 'stepChosen', payload: step })}
            />
          )}
          <div className="topbar-actions">
            <span className="privacy-badge" title="Nothing leaves this computer">
              <Icon name="shield" size={16} /> On-device
            </span>
            <button
              type="button"
              className="icon-button"
              aria-label={`Theme: ${state.theme}. Switch to ${nextTheme}`}
              title={`Theme: ${state.theme}`}
              onClick={() => dispatch({ type: 'themeChosen', payload: nextTheme })}
            >
              <Icon name={THEME_ICON[state.theme]} />
            </button>
            <button
              type="button"
              className="icon-button"
              aria-label="Settings"
              aria-pressed={state.view === 'settings'}
              title="Settings"
              onClick={() =>
                dispatch({
                  type: 'viewChosen',
                  payload: state.view === 'settings' ? 'studio' : 'settings',
                })
              }
            >
              <Icon name="settings" />
            </button>
          </div>
        </header>
        <main className="content">
          {state.status.state === 'loading' && <Loading />}
          {state.status.state === 'error' && (
            <EmptyState
              icon="alert"
              title="Avatar Studio could not start"
              testId="status-error"
              action={
                <button
                  type="button"
                  className="button"
                  data-variant="primary"
                  onClick={refreshStatus}
                >
                  <Icon name="refresh" /> Try again
                </button>
              }
            >
              {state.status.error.message}
            </EmptyState>
          )}
          {state.status.state === 'ready' &&
            (state.view === 'settings' ? (
              <SettingsScreen />
            ) : !state.status.value.model ? (
              <ModelScreen onCheckAgain={refreshStatus} />
            ) : (
              <>
                {state.step === 'photos' && <IntakeScreen />}
                {state.step === 'styles' && <StylesScreen />}
                {state.step === 'generate' && <GenerateScreen />}
                {state.step === 'gallery' && <GalleryScreen refreshRuns={refreshRuns} />}
              </>
            ))}
        </main>
        {/* Outside the screens, so it outlives the switch from the run to the gallery. */}
        <p className="visually-hidden" role="status" data-testid="run-live">
          {runAnnouncement(state)}
        </p>
      </div>
    </StoreProvider>
  );
}

function Loading() {
  return (
    <div className="loading" role="status" data-testid="app-loading">
      <span className="spinner spinner-lg" aria-hidden="true" />
      <span>Starting Avatar Studio…</span>
    </div>
  );
}
