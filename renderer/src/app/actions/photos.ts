import type { ApiErrorShape, IntakeReport } from '../../../../main/api/contract.ts';
import { PHOTO_LIMITS, type AppState, type LocalPhoto } from '../state.ts';

/** Intake: adding, removing and replacing photos, and the host's verdicts on them. */

export const photosAdded = (state: AppState, added: LocalPhoto[]): AppState => {
  const room = PHOTO_LIMITS.max - state.photos.length;
  const kept = added.slice(0, Math.max(room, 0));
  const dropped = added.length - kept.length;
  return {
    ...state,
    photos: [...state.photos, ...kept],
    photoNotice:
      dropped > 0
        ? `You can use at most ${PHOTO_LIMITS.max} photos: ${dropped} ${dropped === 1 ? 'was' : 'were'} not added.`
        : null,
    startError: null,
  };
};

/** Files that could not be read (moved or deleted since they were picked): nothing was added of them. */
export const photosNotRead = (state: AppState, names: string[]): AppState => ({
  ...state,
  photoNotice: `${names.join(', ')} could not be read. Choose ${names.length === 1 ? 'it' : 'them'} again.`,
});

/** Removed, but kept aside (its preview too) until Undo or the undo window ends. */
export const photoRemoved = (state: AppState, key: string): AppState => {
  const index = state.photos.findIndex((photo) => photo.key === key);
  if (index < 0) return state;
  return {
    ...state,
    photos: state.photos.filter((photo) => photo.key !== key),
    removedPhoto: { photo: state.photos[index]!, index },
    photoNotice: null,
    startError: null,
  };
};

/** Undo: the photo goes back where it was, unless the set is full meanwhile. */
export const photoRestored = (state: AppState): AppState => {
  const removed = state.removedPhoto;
  if (!removed || state.photos.length >= PHOTO_LIMITS.max) return { ...state, removedPhoto: null };
  const photos = [...state.photos];
  photos.splice(Math.min(removed.index, photos.length), 0, removed.photo);
  return { ...state, photos, removedPhoto: null, startError: null };
};

/** The undo window ended: the removal is final. */
export const removalExpired = (state: AppState): AppState => ({ ...state, removedPhoto: null });

export const photoReplaced = (
  state: AppState,
  { key, photo }: { key: string; photo: LocalPhoto },
): AppState => ({
  ...state,
  photos: state.photos.map((old) => (old.key === key ? photo : old)),
  photoNotice: null,
  startError: null,
});

export const intakeChecking = (state: AppState): AppState => ({
  ...state,
  intake: { ...state.intake, checking: true, error: null },
});

export const intakeChecked = (
  state: AppState,
  { keys, report }: { keys: string[]; report: IntakeReport },
): AppState => ({
  ...state,
  intake: { checkedKeys: keys, report, checking: false, error: null },
});

export const intakeFailed = (state: AppState, error: ApiErrorShape): AppState => ({
  ...state,
  intake: { ...state.intake, checking: false, error },
});
