import { useEffect } from 'react';
import type { AvatarStudioApi } from '../../../main/api/contract.ts';
import type { Dispatch } from '../app/actions/index.ts';

/** Feeds the host's run events into the state. */
export function useRunEvents(api: AvatarStudioApi, dispatch: Dispatch): void {
  useEffect(() => {
    const unsubscribe = [
      api.on('run:progress', (payload) => dispatch({ type: 'runProgressed', payload })),
      api.on('run:avatar', (payload) => dispatch({ type: 'avatarArrived', payload })),
      api.on('run:finished', (payload) => dispatch({ type: 'runFinished', payload })),
    ];
    return () => unsubscribe.forEach((off) => off());
  }, [api, dispatch]);
}
