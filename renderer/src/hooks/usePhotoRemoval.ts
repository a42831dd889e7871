import { useEffect, useRef } from 'react';
import type { Dispatch } from '../app/actions/index.ts';
import { PHOTO_LIMITS, type AppState, type LocalPhoto } from '../app/state.ts';

/**
 * Removing a photo, undoably: the photo (its preview too) is kept aside until Undo, the next
 * removal, the end of its time or leaving the screen, and only then let go. Undo puts it back
 * where it was and the focus on its Remove button, where it was before.
 */
export function usePhotoRemoval(
  state: AppState,
  dispatch: Dispatch,
): { remove: (photo: LocalPhoto) => void; undo: () => void; expire: () => void } {
  const latest = useRef(state.removedPhoto);
  latest.current = state.removedPhoto;
  const forget = () => {
    if (latest.current) URL.revokeObjectURL(latest.current.photo.previewUrl);
  };
  const remove = (photo: LocalPhoto) => {
    forget();
    dispatch({ type: 'photoRemoved', payload: photo.key });
  };
  const expire = () => {
    forget();
    dispatch({ type: 'removalExpired' });
  };
  // Leaving the screen ends the undo window (`expire` reads the latest removal through a ref).
  useEffect(() => expire, []);

  const restored = useRef<string | null>(null);
  const undo = () => {
    const removed = latest.current;
    if (!removed) return;
    if (state.photos.length >= PHOTO_LIMITS.max) forget();
    else restored.current = removed.photo.key;
    dispatch({ type: 'photoRestored' });
  };
  useEffect(() => {
    const key = restored.current;
    if (!key) return;
    restored.current = null;
    document.querySelector<HTMLElement>(`[data-key="${key}"] [data-action="remove"]`)?.focus();
  });

  return { remove, undo, expire };
}
