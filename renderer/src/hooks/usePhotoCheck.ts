import { useEffect, useRef } from 'react';
import type { AvatarStudioApi } from '../../../main/api/contract.ts';
import { toApiError } from '../api.ts';
import type { Dispatch } from '../app/actions/index.ts';
import type { LocalPhoto } from '../app/state.ts';

const DEBOUNCE_MS = 350;

/**
 * Asks the host for every photo's verdict after each change, debounced; an answer about photos
 * that changed meanwhile is dropped. The whole set is checked each time: duplicates and
 * "different people" depend on the others.
 */
export function usePhotoCheck(
  api: AvatarStudioApi,
  photos: LocalPhoto[],
  dispatch: Dispatch,
): void {
  const latest = useRef(0);
  useEffect(() => {
    const ticket = ++latest.current;
    if (photos.length === 0) {
      dispatch({ type: 'intakeChecked', payload: { keys: [], report: emptyReport } });
      return;
    }
    dispatch({ type: 'intakeChecking' });
    const timer = setTimeout(() => {
      api
        .checkPhotos(photos.map(({ name, bytes }) => ({ name, bytes })))
        .then((report) => {
          if (ticket !== latest.current) return;
          dispatch({ type: 'intakeChecked', payload: { keys: photos.map((p) => p.key), report } });
        })
        .catch((error: unknown) => {
          if (ticket === latest.current)
            dispatch({ type: 'intakeFailed', payload: toApiError(error) });
        });
    }, DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [api, photos, dispatch]);
}

const emptyReport = { verdicts: [], warnings: [], canStart: false };
