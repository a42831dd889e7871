import { useEffect } from 'react';
import type { AvatarStudioApi } from '../../../main/api/contract.ts';
import type { Dispatch } from '../app/actions/index.ts';
import { rememberSecondsPerAvatar } from '../app/estimate.ts';

/** Feeds the host's run events into the state, and remembers what an avatar cost here. */
export function useRunEvents(api: AvatarStudioApi, dispatch: Dispatch): void {
  useEffect(() => {
    const firstSeen = new Map<string, number>();
    const unsubscribe = [
      api.on('run:progress', (progress) => {
        if (!firstSeen.has(progress.runId)) firstSeen.set(progress.runId, Date.now());
        dispatch({ type: 'runProgressed', payload: progress });
      }),
      api.on('run:avatar', (payload) => dispatch({ type: 'avatarArrived', payload })),
      api.on('run:finished', (finished) => {
        const started = firstSeen.get(finished.runId);
        if (started && !finished.cancelled && !finished.error && finished.avatars.length > 0) {
          rememberSecondsPerAvatar((Date.now() - started) / 1000 / finished.avatars.length);
        }
        dispatch({ type: 'runFinished', payload: finished });
      }),
    ];
    return () => unsubscribe.forEach((off) => off());
  }, [api, dispatch]);
}
