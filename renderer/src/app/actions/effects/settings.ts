import type { Settings } from '../../../../../main/api/contract.ts';
import { toApiError } from '../../../api.ts';
import type { Context, Outcome } from './context.ts';

/** Saves a change to the settings; the screen shows the host's settings, once saved. */
export async function saveSettings(
  { api, dispatch }: Context,
  patch: Partial<Settings>,
): Promise<Outcome> {
  try {
    dispatch({ type: 'settingsSaved', payload: await api.updateSettings(patch) });
    return { tone: 'success', message: 'Saved.' };
  } catch (error) {
    return { tone: 'error', message: toApiError(error).message };
  }
}
