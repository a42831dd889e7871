import type {
  ApiErrorShape,
  AppStatus,
  ModelJob,
  Settings,
} from '../../../../main/api/contract.ts';
import type { AppState, ModelJobState, Step, Theme, View } from '../state.ts';

/** The app-wide actions: status, navigation, theme. */

export const statusLoaded = (state: AppState, status: AppStatus): AppState => ({
  ...state,
  status: { state: 'ready', value: status },
  // A run still going after a reload: show its progress.
  step: status.activeRunId && !state.run ? 'generate' : state.step,
  run:
    status.activeRunId && !state.run
      ? {
          runId: status.activeRunId,
          progress: status.activeRunProgress,
          cancelling: false,
          outcome: null,
        }
      : state.run,
  // A model job still going after a reload: show its progress and its cancel.
  modelJob: status.modelJob && !state.modelJob ? reattached(status.modelJob) : state.modelJob,
});

/** A model job the host runs that this page did not start (a reload mid-install). */
function reattached(job: ModelJob): ModelJobState {
  return {
    origin: job.kind === 'install' ? { kind: 'install', id: job.catalogId ?? '' } : { kind: 'add' },
    jobId: job.jobId,
    name: job.name,
    progress: null,
    cancelling: false,
  };
}

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
