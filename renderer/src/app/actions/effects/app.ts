import { toApiError } from '../../../api.ts';
import type { Context } from './context.ts';

/** The app's status (model, quota, settings, a run or model job going on), afresh. */
export async function loadStatus({ api, dispatch }: Context): Promise<void> {
  try {
    dispatch({ type: 'statusLoaded', payload: await api.status() });
  } catch (error) {
    dispatch({ type: 'statusFailed', payload: toApiError(error) });
  }
}

/** The style catalogue, afresh: a list on screen stays until the new one arrives. */
export async function loadStyles({ api, dispatch }: Context): Promise<void> {
  try {
    dispatch({ type: 'stylesLoaded', payload: await api.listStyles() });
  } catch (error) {
    dispatch({ type: 'stylesFailed', payload: toApiError(error) });
  }
}

/** "Try again" after the styles failed: the list shows as loading meanwhile. */
export function reloadStyles(context: Context): Promise<void> {
  context.dispatch({ type: 'stylesLoading' });
  return loadStyles(context);
}
