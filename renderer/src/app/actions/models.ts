import type {
  ApiErrorShape,
  ModelFinishedEvent,
  ModelProgressEvent,
} from '../../../../main/api/contract.ts';
import type { AppState, ModelJobState, ModelOrigin } from '../state.ts';

/** Getting a model: an install from the catalogue or a model the user adds, one at a time. */

export const modelJobRequested = (
  state: AppState,
  { origin, name }: { origin: ModelOrigin; name: string | null },
): AppState => ({
  ...state,
  modelJob: { origin, jobId: null, name, progress: null, cancelling: false },
  modelOutcome: null,
});

/** The page's request answered: the job runs under this id. */
export const modelJobStarted = (state: AppState, jobId: string): AppState =>
  state.modelJob?.jobId === null ? { ...state, modelJob: { ...state.modelJob, jobId } } : state;

/** The user closed the picker: nothing started. */
export const modelJobNotStarted = (state: AppState): AppState => ({ ...state, modelJob: null });

export const modelJobRefused = (state: AppState, error: ApiErrorShape): AppState => ({
  ...state,
  modelJob: null,
  modelOutcome: state.modelJob && {
    origin: state.modelJob.origin,
    tone: 'error',
    message: error.message,
  },
});

/** This job's event, or the one a request still waits to hear the id of. */
const isLive = (job: ModelJobState | null, jobId: string): job is ModelJobState =>
  job !== null && (job.jobId === jobId || job.jobId === null);

export const modelProgressed = (state: AppState, progress: ModelProgressEvent): AppState =>
  isLive(state.modelJob, progress.jobId)
    ? { ...state, modelJob: { ...state.modelJob, jobId: progress.jobId, progress } }
    : state;

export const modelJobFinished = (state: AppState, finished: ModelFinishedEvent): AppState => {
  const installed = state.modelsInstalled + (finished.ok ? 1 : 0);
  const job = state.modelJob;
  if (!isLive(job, finished.jobId)) return { ...state, modelsInstalled: installed };
  const name = finished.model?.name ?? job.name ?? 'The model';
  const tone = finished.ok ? 'success' : finished.error?.code === 'CANCELLED' ? 'info' : 'error';
  const message = finished.ok
    ? `${name} is installed${finished.model?.isDefault ? ' and is the default for new runs' : ''}.`
    : (finished.error?.message ?? `${name} could not be installed.`);
  return {
    ...state,
    modelJob: null,
    modelOutcome: { origin: job.origin, tone, message },
    modelsInstalled: installed,
  };
};

export const modelCancelRequested = (state: AppState): AppState =>
  state.modelJob ? { ...state, modelJob: { ...state.modelJob, cancelling: true } } : state;

export const modelCancelFailed = (state: AppState, error: ApiErrorShape): AppState =>
  state.modelJob
    ? {
        ...state,
        modelJob: { ...state.modelJob, cancelling: false },
        modelOutcome: { origin: state.modelJob.origin, tone: 'error', message: error.message },
      }
    : state;
