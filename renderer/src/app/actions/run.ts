import type {
  ApiErrorShape,
  AvatarSummary,
  RunFinishedEvent,
  RunProgressEvent,
} from '../../../../main/api/contract.ts';
import { AVATAR_LIMITS, type AppState, type GalleryRun } from '../state.ts';

/** The run: start, progress, avatars as they finish, the end, cancel. */

export const countChosen = (state: AppState, count: number): AppState => ({
  ...state,
  count: Math.min(Math.max(Math.round(count), AVATAR_LIMITS.min), AVATAR_LIMITS.max),
});

export const runStarting = (state: AppState): AppState => ({
  ...state,
  starting: true,
  startError: null,
});

export const runStarted = (state: AppState, runId: string): AppState => ({
  ...state,
  starting: false,
  run: { runId, progress: null, cancelling: false, outcome: null },
  gallery: [
    { runId, avatars: [], complete: false, deleted: false },
    ...state.gallery.filter((run) => run.runId !== runId),
  ],
});

export const runRefused = (state: AppState, error: ApiErrorShape): AppState => ({
  ...state,
  starting: false,
  startError: error,
  // Refused photos: show their verdicts where the user can fix them.
  step: error.code === 'PHOTOS_REFUSED' ? 'photos' : state.step,
  intake:
    error.code === 'PHOTOS_REFUSED' && error.verdicts
      ? {
          checkedKeys: state.photos.map((photo) => photo.key),
          report: {
            verdicts: error.verdicts,
            warnings: [],
            canStart: false,
            startMessage: error.message,
          },
          checking: false,
          error: null,
        }
      : state.intake,
});

const isLive = (state: AppState, runId: string): boolean => state.run?.runId === runId;

export const runProgressed = (state: AppState, progress: RunProgressEvent): AppState =>
  isLive(state, progress.runId) && state.run
    ? { ...state, run: { ...state.run, progress } }
    : state;

const withGalleryRun = (
  state: AppState,
  runId: string,
  change: (run: GalleryRun) => GalleryRun,
): GalleryRun[] => {
  const existing = state.gallery.find((run) => run.runId === runId);
  const base = existing ?? { runId, avatars: [], complete: false, deleted: false };
  return [change(base), ...state.gallery.filter((run) => run.runId !== runId)];
};

export const avatarArrived = (
  state: AppState,
  { runId, avatar }: { runId: string; avatar: AvatarSummary },
): AppState => ({
  ...state,
  gallery: withGalleryRun(state, runId, (run) =>
    run.avatars.some((known) => known.id === avatar.id)
      ? run
      : { ...run, avatars: [...run.avatars, avatar] },
  ),
});

export const runFinished = (state: AppState, finished: RunFinishedEvent): AppState => ({
  ...state,
  run:
    isLive(state, finished.runId) && state.run
      ? {
          ...state.run,
          cancelling: false,
          outcome: {
            cancelled: finished.cancelled,
            blocked: finished.blocked,
            error: finished.error ?? null,
          },
        }
      : state.run,
  gallery: withGalleryRun(state, finished.runId, (run) => ({
    ...run,
    avatars: finished.avatars,
    complete: true,
  })),
  // A finished run with avatars goes to the gallery; a cancelled or failed one stays to explain.
  step:
    isLive(state, finished.runId) &&
    !finished.cancelled &&
    !finished.error &&
    state.step === 'generate'
      ? 'gallery'
      : state.step,
});

export const cancelRequested = (state: AppState): AppState =>
  state.run ? { ...state, run: { ...state.run, cancelling: true } } : state;

export const cancelFailed = (state: AppState, error: ApiErrorShape): AppState =>
  state.run
    ? {
        ...state,
        run: { ...state.run, cancelling: false },
        startError: error,
      }
    : state;

/** Back to a fresh start once the user has seen how the last run ended. */
export const runDismissed = (state: AppState): AppState => ({ ...state, run: null });
