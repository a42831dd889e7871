import { useEffect, useRef, useState } from 'react';
import type { AvatarSummary } from '../../../main/api/contract.ts';
import { deleteRunNow } from '../app/actions/effects/gallery.ts';
import { plural, sentence } from '../app/format.ts';
import { deletionOf } from '../app/selectors.ts';
import type { GalleryRun } from '../app/state.ts';
import { useStore } from '../app/store.tsx';
import { AvatarCard } from '../components/AvatarCard.tsx';
import { ConfirmDialog } from '../components/ConfirmDialog.tsx';
import { Countdown } from '../components/Countdown.tsx';
import { EmptyState } from '../components/EmptyState.tsx';
import { Icon } from '../components/Icon.tsx';
import { Notice } from '../components/Notice.tsx';
import { Pill, Screen } from '../components/Screen.tsx';
import { ExportDialog } from './ExportDialog.tsx';

/** Face-descriptor distance in words: smaller is closer; 0.6 is the same-person threshold. */
function likenessLabel(identity: number | null): string {
  if (identity === null) return 'No face found';
  if (identity < 0.4) return 'Strong likeness';
  if (identity < 0.6) return 'Good likeness';
  return 'Weak likeness';
}

export function GalleryScreen({ refreshRuns }: { refreshRuns: () => void }) {
  const store = useStore();
  const { api, state, dispatch } = store;
  const [selected, setSelected] = useState<string[]>([]);
  const [exporting, setExporting] = useState<AvatarSummary[] | null>(null);
  const [deleteError, setDeleteError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<GalleryRun | null>(null);
  // After a delete the button pressed is gone: the focus goes to what the gallery says next.
  const deletedJustNow = useRef(false);
  const emptyTitle = useRef<HTMLHeadingElement>(null);

  const styleName = (id: string) =>
    (state.styles.state === 'ready' && state.styles.value.find((style) => style.id === id)?.name) ||
    id;
  const retention =
    state.status.state === 'ready' ? state.status.value.settings.retentionSeconds : 300;

  const kept = state.gallery.filter((run) => !run.deleted && run.avatars.length > 0);
  const deleted = state.gallery.filter((run) => run.deleted);
  const pending = state.gallery.filter(
    (run) => !run.deleted && run.avatars.length === 0 && !run.complete,
  );
  const all = kept.flatMap((run) => run.avatars);
  const chosen = all.filter((avatar) => selected.includes(avatar.id));

  const deleteNow = async (runId: string) => {
    setConfirming(null);
    setDeleteError(null);
    const error = await deleteRunNow(store, runId);
    if (error) {
      setDeleteError(error.message);
      return;
    }
    setSelected([]);
    deletedJustNow.current = true;
    refreshRuns();
  };

  useEffect(() => {
    if (!deletedJustNow.current) return;
    deletedJustNow.current = false;
    (emptyTitle.current ?? document.getElementById('gallery-title'))?.focus();
  });

  return (
    <Screen
      id="gallery"
      title="Your avatars"
      subtitle="Export the ones you want to keep: everything here is deleted automatically."
      aside={
        all.length > 0 && (
          <div className="toolbar">
            <button
              type="button"
              className="button"
              data-variant="ghost"
              onClick={() =>
                setSelected(selected.length === all.length ? [] : all.map((a) => a.id))
              }
            >
              {selected.length === all.length ? 'Clear selection' : 'Select all'}
            </button>
            <button
              type="button"
              className="button"
              data-variant="secondary"
              disabled={chosen.length === 0}
              onClick={() => setExporting(chosen)}
            >
              <Icon name="download" /> Export selected
              {chosen.length > 0 ? ` (${chosen.length})` : ''}
            </button>
            <button
              type="button"
              className="button"
              data-variant="primary"
              onClick={() => setExporting(all)}
            >
              <Icon name="download" /> Export all
            </button>
          </div>
        )
      }
    >
      {state.galleryError && (
        <Notice tone="warning" title="The gallery could not be brought up to date">
          {sentence(state.galleryError.message)} The countdowns go on from the last answer; Avatar
          Studio asks again in a few seconds.
        </Notice>
      )}
      {deleteError && (
        <Notice tone="error" title="Could not delete">
          {deleteError}
        </Notice>
      )}
      {kept.length === 0 && pending.length === 0 && (
        <EmptyState
          icon="image"
          title={deleted.length > 0 ? 'Your avatars were deleted' : 'No avatars yet'}
          testId="gallery-empty"
          titleRef={emptyTitle}
          action={
            <button
              type="button"
              className="button"
              data-variant="primary"
              onClick={() => dispatch({ type: 'stepChosen', payload: 'photos' })}
            >
              {deleted.length > 0 ? 'Back to the start' : 'Start with your photos'}
            </button>
          }
        >
          {deleted.length > 0
            ? 'As promised, the photos and avatars of your run are gone from this computer.'
            : 'Avatars appear here as they finish, and stay until the deletion countdown ends.'}
        </EmptyState>
      )}
      {pending.map((run) => (
        <div key={run.runId} className="card gallery-pending">
          <span className="spinner" aria-hidden="true" /> Your first avatars appear here as soon as
          they are made.
        </div>
      ))}
      {kept.map((run) => (
        <section key={run.runId} className="run-section" aria-label="Run" data-testid="gallery-run">
          <header className="run-section-header">
            <div className="run-section-title">
              <h2>{plural(run.avatars.length, 'avatar')}</h2>
              {!run.complete && <Pill tone="accent">Still generating</Pill>}
              {run.complete && <Pill>Best likeness first</Pill>}
            </div>
            <div className="run-section-actions">
              <Countdown
                deletion={run.complete ? deletionOf(state, run.runId) : null}
                total={retention}
              />
              <button
                type="button"
                className="button"
                data-variant="danger-ghost"
                onClick={() => setConfirming(run)}
                disabled={!run.complete}
              >
                <Icon name="trash" /> Delete now
              </button>
            </div>
          </header>
          <ul className="avatar-grid" aria-label="Avatars">
            {run.avatars.map((avatar) => (
              <AvatarCard
                key={avatar.id}
                imageUrl={api.imageUrl({ kind: 'avatar', id: avatar.id })}
                styleName={styleName(avatar.styleId)}
                photo={avatar.photo}
                likeness={run.complete ? likenessLabel(avatar.identity) : null}
                selected={selected.includes(avatar.id)}
                onSelect={(on) =>
                  setSelected((ids) =>
                    on ? [...ids, avatar.id] : ids.filter((id) => id !== avatar.id),
                  )
                }
                onExport={() => setExporting([avatar])}
              />
            ))}
          </ul>
        </section>
      ))}
      {kept.length === 0 && deleted.length > 0 && (
        <p className="visually-hidden" role="status" data-testid="gallery-deleted">
          Your avatars were deleted.
        </p>
      )}
      {confirming && (
        <ConfirmDialog
          title={`Delete ${plural(confirming.avatars.length, 'avatar')} now?`}
          confirmLabel={`Delete ${plural(confirming.avatars.length, 'avatar')}`}
          confirmIcon="trash"
          keepLabel="Keep them"
          onConfirm={() => void deleteNow(confirming.runId)}
          onKeep={() => setConfirming(null)}
          testId="confirm-delete"
        >
          {confirming.avatars.length === 1 ? 'It is' : 'They are'} deleted from this computer at
          once and cannot be brought back. Export the ones you want to keep first.
        </ConfirmDialog>
      )}
      {exporting && (
        <ExportDialog
          avatars={exporting}
          imageUrl={(id) => api.imageUrl({ kind: 'avatar', id })}
          onClose={() => setExporting(null)}
        />
      )}
    </Screen>
  );
}
