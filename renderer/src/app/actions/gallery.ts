import type { ApiErrorShape, AvatarSummary, RunCountdown } from '../../../../main/api/contract.ts';
import type { AppState } from '../state.ts';

/** The gallery's runs and their deletion countdowns. */

export const countdownsLoaded = (
  state: AppState,
  { runs, fetchedAt }: { runs: RunCountdown[]; fetchedAt: number },
): AppState => ({
  ...state,
  countdowns: { runs, fetchedAt },
  galleryError: null,
  // A run the sweeper deleted (gone from the list, or no avatars left) is marked, not hidden:
  // the gallery says its avatars were deleted as promised.
  gallery: state.gallery.map((run) => {
    const countdown = runs.find((candidate) => candidate.runId === run.runId);
    const gone = !countdown || (countdown.status !== 'running' && countdown.avatars === 0);
    return gone && run.complete ? { ...run, avatars: [], deleted: true } : run;
  }),
});

/** The countdowns keep ticking from the last list; the gallery says they may be out of date. */
export const galleryRefreshFailed = (state: AppState, error: ApiErrorShape): AppState => ({
  ...state,
  galleryError: error,
});

/**
 * Avatars of a run from before this page loaded (runs:avatars): a kept run's final list, or a
 * running run's so far (merged with those its events brought meanwhile). A page that opens on
 * an empty studio while avatars wait opens the gallery.
 */
export const runAvatarsLoaded = (
  state: AppState,
  { runId, avatars, complete }: { runId: string; avatars: AvatarSummary[]; complete: boolean },
): AppState => {
  const existing = state.gallery.find((run) => run.runId === runId);
  if (existing?.complete) return state;
  const arrived = (existing?.avatars ?? []).filter((a) => !avatars.some((b) => b.id === a.id));
  const run = { runId, avatars: [...avatars, ...arrived], complete, deleted: false };
  const others = state.gallery.filter((entry) => entry.runId !== runId);
  const fresh =
    state.view === 'studio' &&
    state.step === 'photos' &&
    state.photos.length === 0 &&
    state.run === null &&
    !state.gallery.some((entry) => entry.avatars.length > 0);
  return {
    ...state,
    // The run going on first, as the gallery lists runs newest first.
    gallery: complete ? [...others, run] : [run, ...others],
    step: fresh && complete && avatars.length > 0 ? 'gallery' : state.step,
  };
};

/** "Delete now" succeeded for one run, or for all when runId is undefined. */
export const runsDeleted = (state: AppState, runId: string | undefined): AppState => ({
  ...state,
  gallery: state.gallery.map((run) =>
    runId === undefined || run.runId === runId ? { ...run, avatars: [], deleted: true } : run,
  ),
  countdowns: state.countdowns && {
    ...state.countdowns,
    runs: state.countdowns.runs.filter((run) => runId !== undefined && run.runId !== runId),
  },
});
