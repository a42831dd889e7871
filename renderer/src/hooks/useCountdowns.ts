import { useCallback, useEffect, useRef } from 'react';
import type { AvatarStudioApi } from '../../../main/api/contract.ts';
import type { Dispatch } from '../app/actions/index.ts';
import { secondsLeft } from '../app/selectors.ts';
import type { AppState } from '../app/state.ts';

const REFRESH_MS = 15_000;
/** After a countdown reaches zero: give the sweeper a moment, then ask again. */
const AFTER_ZERO_MS = 1_500;

/**
 * Keeps runs:list fresh (on start, every 15 s, after a run ends and when a countdown reaches
 * zero) and loads the avatars of runs this page has not seen (after a reload, mid-run too).
 * Returns a refresh function for "delete now".
 */
export function useCountdowns(
  api: AvatarStudioApi,
  state: AppState,
  dispatch: Dispatch,
  now: number,
): () => void {
  const known = useRef<string[]>([]);
  known.current = state.gallery.map((run) => run.runId);

  const refresh = useCallback(() => {
    api
      .listRuns()
      .then((runs) => {
        dispatch({ type: 'countdownsLoaded', payload: { runs, fetchedAt: Date.now() } });
        for (const run of runs) {
          if (run.avatars === 0 || known.current.includes(run.runId)) continue;
          // A run still going (a reload mid-run): its avatars so far; its events bring the rest.
          const complete = run.status !== 'running';
          api
            .runAvatars(run.runId)
            .then((avatars) =>
              dispatch({
                type: 'runAvatarsLoaded',
                payload: { runId: run.runId, avatars, complete },
              }),
            )
            .catch(() => undefined); // deleted meanwhile: the next refresh marks it
        }
      })
      .catch(() => undefined); // the next refresh tries again; the countdown keeps ticking
  }, [api, dispatch]);

  useEffect(() => {
    refresh();
    const timer = setInterval(refresh, REFRESH_MS);
    return () => clearInterval(timer);
  }, [refresh]);

  const outcome = state.run?.outcome;
  useEffect(() => {
    if (outcome) refresh();
  }, [outcome, refresh]);

  const list = state.countdowns;
  const anyAtZero =
    list !== null && list.runs.some((run) => secondsLeft(run, list.fetchedAt, now) === 0);
  useEffect(() => {
    if (!anyAtZero) return;
    const timer = setInterval(refresh, AFTER_ZERO_MS);
    return () => clearInterval(timer);
  }, [anyAtZero, refresh]);

  return refresh;
}
