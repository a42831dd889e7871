import type { ApiErrorShape, AppStatus, Settings } from '../../../../main/api/contract.ts';
import type { AppState, Step, Theme, View } from '../state.ts';

/** The app-wide actions: status, navigation, theme. */

export const statusLoaded = (state: AppState, status: AppStatus): AppState => ({
  ...state,
  status: { state: 'ready', value: status },
  // A run still going after a reload: show its progress.
  step: status.activeRunId && !state.run ? 'generate' : state.step,
  run:
    status.activeRunId && !state.run
      ? { runId: status.activeRunId, progress: null, cancelling: false, outcome: null }
      : state.run,
});

export const statusFailed = (state: AppState, error: ApiErrorShape): AppState => ({
  ...state,
  status: { state: 'error', error },
});

export const settingsSaved = (state: AppState, settings: Settings): AppState =>
  state.status.state === 'ready'
    ? { ...state, status: { state: 'ready', value: { ...state.status.value, settings } } }
    : state;

export const stepChosen = (state: AppState, step: Step): AppState => ({
  ...state,
  view: 'studio',
  step,
});

export const viewChosen = (state: AppState, view: View): AppState => ({ ...state, view });

export const themeChosen = (state: AppState, theme: Theme): AppState => ({ ...state, theme });
