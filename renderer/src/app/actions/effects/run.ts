import { toApiError } from '../../../api.ts';
import type { AppState } from '../../state.ts';
import { loadStatus } from './app.ts';
import type { Context } from './context.ts';

/** Starts a run of the photos, styles and count chosen. */
export async function startRun(
  context: Context,
  { photos, selectedStyles, count }: Pick<AppState, 'photos' | 'selectedStyles' | 'count'>,
): Promise<void> {
  const { api, dispatch } = context;
  dispatch({ type: 'runStarting' });
  try {
    const { runId } = await api.startRun({
      photos: photos.map(({ name, bytes }) => ({ name, bytes })),
      styleIds: selectedStyles,
      count,
    });
    dispatch({ type: 'runStarted', payload: runId });
  } catch (error) {
    dispatch({ type: 'runRefused', payload: toApiError(error) });
    // The quota or a setting may have changed under us.
    await loadStatus(context);
  }
}

export async function cancelRun({ api, dispatch }: Context, runId: string): Promise<void> {
  dispatch({ type: 'cancelRequested' });
  try {
    await api.cancelRun(runId);
  } catch (error) {
    dispatch({ type: 'cancelFailed', payload: toApiError(error) });
  }
}
