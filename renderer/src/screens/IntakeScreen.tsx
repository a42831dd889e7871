import { addPhotos, replacePhoto } from '../app/actions/effects/photos.ts';
import { plural, sentence } from '../app/format.ts';
import { avatarsWaiting, intakeIsCurrent, photosReady, verdictFor } from '../app/selectors.ts';
import { PHOTO_LIMITS } from '../app/state.ts';
import { useStore } from '../app/store.tsx';
import { Dropzone } from '../components/Dropzone.tsx';
import { Icon } from '../components/Icon.tsx';
import { Notice } from '../components/Notice.tsx';
import { PhotoCard } from '../components/PhotoCard.tsx';
import { Pill, Screen } from '../components/Screen.tsx';
import { UndoNotice } from '../components/UndoNotice.tsx';
import { usePhotoRemoval } from '../hooks/usePhotoRemoval.ts';
import { OpenGalleryButton } from './OpenGalleryButton.tsx';

export function IntakeScreen() {
  const { state, dispatch } = useStore();
  const { photos, intake } = state;
  const ready = photosReady(state);
  const accepted = photos.filter((photo) => verdictFor(state, photo)?.ok).length;
  const countTone =
    photos.length === 0 ? 'neutral' : photos.length < PHOTO_LIMITS.min ? 'warning' : 'success';

  const { remove, undo, expire } = usePhotoRemoval(state, dispatch);

  const report = intake.report;
  const refused = photos.length - accepted;
  const current = !intake.checking && report !== null && intakeIsCurrent(state);
  const removed = state.removedPhoto;
  const waiting = avatarsWaiting(state);

  return (
    <Screen
      id="photos"
      title="Add your photos"
      subtitle="3–10 photos of your face, only you in each. They are checked and kept on this computer only."
      aside={
        <Pill tone={countTone} testId="photo-counter">
          {photos.length} of 3–10 photos
        </Pill>
      }
      footer={
        <>
          <p className="action-hint" aria-live="polite">
            {photos.length < PHOTO_LIMITS.min
              ? `Add ${PHOTO_LIMITS.min - photos.length} more ${PHOTO_LIMITS.min - photos.length === 1 ? 'photo' : 'photos'} to continue.`
              : intake.checking
                ? 'Checking your photos…'
                : ready
                  ? `${accepted} photos accepted.`
                  : 'Replace or remove the refused photos to continue.'}
          </p>
          <button
            type="button"
            className="button"
            data-variant="primary"
            disabled={!ready}
            onClick={() => dispatch({ type: 'stepChosen', payload: 'styles' })}
          >
            Choose styles <Icon name="arrowRight" />
          </button>
        </>
      }
    >
      {waiting > 0 && (
        <Notice
          tone="info"
          title="Your avatars wait in the gallery"
          testId="avatars-waiting"
          action={<OpenGalleryButton />}
        >
          {plural(waiting, 'avatar')} from your last run {waiting === 1 ? 'is' : 'are'} kept until
          the deletion countdown ends. Export the ones you want to keep.
        </Notice>
      )}
      <Dropzone
        compact={photos.length > 0}
        disabled={photos.length >= PHOTO_LIMITS.max}
        onFiles={(files) => void addPhotos({ dispatch }, files)}
      />
      {state.photoNotice && <Notice tone="warning">{state.photoNotice}</Notice>}
      {removed && (
        <UndoNotice
          key={removed.photo.key}
          message={`Removed ${removed.photo.name}.`}
          undoLabel={`Undo removing ${removed.photo.name}`}
          onUndo={undo}
          onExpire={expire}
        />
      )}
      {intake.error && (
        <Notice tone="error" title="The photos could not be checked">
          {intake.error.message}
        </Notice>
      )}
      {current && refused > 0 && photos.length > 0 && (
        <Notice
          tone="warning"
          title={`${refused} of ${photos.length} photos can't be used`}
          testId="intake-summary"
        >
          {report.startMessage ?? 'Replace or remove them: each card says why.'}
        </Notice>
      )}
      {current &&
        report.warnings.map((warning) => (
          <Notice key={warning.message} tone="info" testId="intake-warning">
            {warning.message}
          </Notice>
        ))}
      {photos.length > 0 && (
        <ul className="photo-grid" aria-label="Your photos">
          {photos.map((photo) => {
            const verdict = verdictFor(state, photo);
            return (
              <PhotoCard
                key={photo.key}
                photoKey={photo.key}
                name={photo.name}
                previewUrl={photo.previewUrl}
                verdict={verdict ? { state: 'done', verdict } : { state: 'checking' }}
                onRemove={() => remove(photo)}
                onReplace={(file) => void replacePhoto({ dispatch }, photo, file)}
              />
            );
          })}
        </ul>
      )}
      <div className="visually-hidden" aria-live="polite" data-testid="verdicts-live">
        {current && photos.length > 0
          ? `${accepted} of ${photos.length} photos accepted.` +
            report.verdicts
              .filter((verdict) => !verdict.ok)
              .map((verdict) => ` ${verdict.name}: ${sentence(verdict.message ?? 'refused')}`)
              .join('')
          : ''}
      </div>
      {photos.length === 0 && (
        <ul className="tips" aria-label="Tips for good photos">
          <li>
            <Icon name="check" /> Your face clearly visible, looking at the camera
          </li>
          <li>
            <Icon name="check" /> Different angles, light and backgrounds help
          </li>
          <li>
            <Icon name="x" /> No group photos, no sunglasses, no heavy filters
          </li>
        </ul>
      )}
    </Screen>
  );
}
