import { useEffect } from 'react';
import type { AvatarStudioApi } from '../../../main/api/contract.ts';
import type { Dispatch } from '../app/actions/index.ts';

/** Feeds the host's model job events into the state; `onInstalled` once a model is usable. */
export function useModelEvents(
  api: AvatarStudioApi,
  dispatch: Dispatch,
  onInstalled: () => void,
): void {
  useEffect(() => {
    const unsubscribe = [
      api.on('model:progress', (payload) => dispatch({ type: 'modelProgressed', payload })),
      api.on('model:finished', (payload) => {
        dispatch({ type: 'modelJobFinished', payload });
        if (payload.ok) onInstalled();
      }),
    ];
    return () => unsubscribe.forEach((off) => off());
  }, [api, dispatch, onInstalled]);
}
