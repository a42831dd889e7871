import type { AvatarSummary, RunCountdown } from '../../../../main/api/contract.ts';
import type { AppState } from '../state.ts';

/** The gallery's runs and their deletion countdowns. */

export const countdownsLoaded = (
  state: AppState,
  { runs, fetchedAt }: { runs: RunCountdown[]; fetchedAt: number },
): AppState => ({
  ...state,
  countdowns: { runs, fetchedAt },
  // A run the sweeper deleted (gone from the list, or no avatars left) is marked, not hidden:
  // the gallery says its avatars were deleted as promised.
  gallery: state.gallery.map((run) => {
    const countdown = runs.find((candidate) => candidate.runId === run.runId);
    const gone = !countdown || (countdown.status !== 'running' && countdown.avatars === 0);
    return gone && run.complete ? { ...run, avatars: [], deleted: true } : run;
  }),
});

/** Avatars of a run kept from before this page loaded (runs:avatars). */
export const runAvatarsLoaded = (
  state: AppState,
  { runId, avatars }: { runId: string; avatars: AvatarSummary[] },
): AppState =>
  state.gallery.some((run) => run.runId === runId && run.complete)
    ? state
    : {
        ...state,
        gallery: [
          ...state.gallery.filter((run) => run.runId !== runId),
          { runId, avatars, complete: true, deleted: false },
        ],
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
