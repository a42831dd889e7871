import type { ApiErrorShape } from '../../../../../main/api/contract.ts';
import { toApiError } from '../../../api.ts';
import type { Context } from './context.ts';

/**
 * runs:list afresh, and the avatars of the runs listed that the page does not know yet (`known`
 * is read once the list is in: a run may have arrived meanwhile).
 */
export async function refreshRuns(
  { api, dispatch }: Context,
  known: () => readonly string[],
): Promise<void> {
  let runs;
  try {
    runs = await api.listRuns();
  } catch (error) {
    dispatch({ type: 'galleryRefreshFailed', payload: toApiError(error) });
    return;
  }
  dispatch({ type: 'countdownsLoaded', payload: { runs, fetchedAt: Date.now() } });
  const unknown = runs.filter((run) => run.avatars > 0 && !known().includes(run.runId));
  await Promise.all(
    unknown.map(async (run) => {
      // A run still going (a reload mid-run): its avatars so far; its events bring the rest.
      const complete = run.status !== 'running';
      try {
        const avatars = await api.runAvatars(run.runId);
        dispatch({ type: 'runAvatarsLoaded', payload: { runId: run.runId, avatars, complete } });
      } catch (error) {
        const failure = toApiError(error);
        // Deleted since the list answered, as the sweeper does: the next list no longer has it.
        if (failure.code !== 'NOT_FOUND')
          dispatch({ type: 'galleryRefreshFailed', payload: failure });
      }
    }),
  );
}

/** "Delete now": the run's files go at once. The error, or null once they are gone. */
export async function deleteRunNow(
  { api, dispatch }: Context,
  runId: string,
): Promise<ApiErrorShape | null> {
  try {
    await api.deleteNow(runId);
  } catch (error) {
    return toApiError(error);
  }
  dispatch({ type: 'runsDeleted', payload: runId });
  return null;
}
