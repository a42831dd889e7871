import { useCallback, useEffect, useRef, useState } from 'react';
import type { AvatarStudioApi } from '../../../main/api/contract.ts';
import { refreshRuns } from '../app/actions/effects/gallery.ts';
import type { Dispatch } from '../app/actions/index.ts';
import { firstZeroAt } from '../app/selectors.ts';
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
): () => void {
  const known = useRef<string[]>([]);
  known.current = state.gallery.map((run) => run.runId);

  const refresh = useCallback(() => {
    void refreshRuns({ api, dispatch }, () => known.current);
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

  const anyAtZero = usePassed(firstZeroAt(state));
  useEffect(() => {
    if (!anyAtZero) return;
    const timer = setInterval(refresh, AFTER_ZERO_MS);
    return () => clearInterval(timer);
  }, [anyAtZero, refresh]);

  return refresh;
}

/** Whether the clock has passed `at`: one re-render then, not a clock ticking every second. */
function usePassed(at: number | null): boolean {
  const [passed, setPassed] = useState<number | null>(null);
  useEffect(() => {
    if (at === null) return;
    const timer = setTimeout(() => setPassed(at), Math.max(0, at - Date.now()));
    return () => clearTimeout(timer);
  }, [at]);
  return at !== null && passed === at;
}
