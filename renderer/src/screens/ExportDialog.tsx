import { useState } from 'react';
import {
  EXPORT_FORMATS,
  EXPORT_SIZES,
  type AvatarSummary,
  type ExportRequest,
  type ExportResult,
} from '../../../main/api/contract.ts';
import { toApiError } from '../api.ts';
import { plural } from '../app/format.ts';
import { useStore } from '../app/store.tsx';
import { Icon } from '../components/Icon.tsx';
import { Notice } from '../components/Notice.tsx';
import { useModal } from '../hooks/useModal.ts';

type Size = ExportRequest['size'];
type Format = ExportRequest['format'];

const FORMAT_LABELS: Record<Format, string> = { png: 'PNG', jpeg: 'JPEG', webp: 'WebP' };

type Outcome = { tone: 'success' | 'error' | 'info'; message: string } | null;

function toBlob(result: ExportResult): Blob {
  return new Blob([new Uint8Array(result.bytes)], { type: result.mimeType });
}

/** Saves through the browser's download: the user picks where, the app never sees a path. */
function download(result: ExportResult): void {
  const url = URL.createObjectURL(toBlob(result));
  const link = document.createElement('a');
  link.href = url;
  link.download = result.fileName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}

/**
 * Export one, several (a zip) or all avatars as profile pictures. Closed by its one Close button
 * or Escape; the focus then goes back to the button that opened it.
 */
export function ExportDialog({
  avatars,
  imageUrl,
  onClose,
}: {
  avatars: AvatarSummary[];
  imageUrl: (id: string) => string;
  onClose: () => void;
}) {
  const { api } = useStore();
  const dialog = useModal();
  const [size, setSize] = useState<Size>(512);
  const [format, setFormat] = useState<Format>('png');
  const [circle, setCircle] = useState(false);
  const [busy, setBusy] = useState<'export' | 'copy' | null>(null);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const single = avatars.length === 1;
  const first = avatars[0];

  const request = (overrides: Partial<ExportRequest> = {}): ExportRequest => ({
    avatarIds: avatars.map((avatar) => avatar.id),
    size,
    format,
    circle,
    ...overrides,
  });

  const save = async () => {
    setBusy('export');
    setOutcome(null);
    try {
      const result = await api.exportAvatars(request());
      download(result);
      setOutcome({ tone: 'success', message: `Saved ${result.fileName}.` });
    } catch (error) {
      setOutcome({ tone: 'error', message: toApiError(error).message });
    } finally {
      setBusy(null);
    }
  };

  const copy = async () => {
    setBusy('copy');
    setOutcome(null);
    try {
      if (!navigator.clipboard || typeof ClipboardItem === 'undefined') {
        throw new Error(
          'This system does not let apps put images on the clipboard; export the file instead.',
        );
      }
      // The clipboard takes PNG everywhere; other formats are for files.
      const result = await api.exportAvatars(request({ format: 'png' }));
      await navigator.clipboard.write([new ClipboardItem({ 'image/png': toBlob(result) })]);
      setOutcome({ tone: 'success', message: 'Copied to the clipboard as PNG.' });
    } catch (error) {
      setOutcome({
        tone: 'error',
        message: `Could not copy: ${toApiError(error).message}`,
      });
    } finally {
      setBusy(null);
    }
  };

  return (
    <dialog
      ref={dialog}
      className="dialog"
      aria-labelledby="export-title"
      data-testid="export-dialog"
      onClose={onClose}
      onCancel={onClose}
    >
      <header className="dialog-header">
        <h2 id="export-title">
          {single ? 'Export avatar' : `Export ${plural(avatars.length, 'avatar')}`}
        </h2>
        <button type="button" className="icon-button" aria-label="Close" onClick={onClose}>
          <Icon name="x" />
        </button>
      </header>
      <div className="dialog-body export-layout">
        <div className="export-preview" data-circle={circle || undefined} data-format={format}>
          {first && <img src={imageUrl(first.id)} alt="Preview of the export" />}
          {!single && <span className="export-stack">+{avatars.length - 1}</span>}
        </div>
        <div className="export-options">
          <fieldset className="segmented-field">
            <legend className="field-label">Size</legend>
            <div className="segmented">
              {EXPORT_SIZES.map((option) => (
                <label key={option}>
                  <input
                    type="radio"
                    name="export-size"
                    value={option}
                    checked={size === option}
                    onChange={() => setSize(option)}
                  />
                  <span>
                    {option}×{option}
                  </span>
                </label>
              ))}
            </div>
          </fieldset>
          <fieldset className="segmented-field">
            <legend className="field-label">Format</legend>
            <div className="segmented">
              {EXPORT_FORMATS.map((option) => (
                <label key={option}>
                  <input
                    type="radio"
                    name="export-format"
                    value={option}
                    checked={format === option}
                    onChange={() => setFormat(option)}
                  />
                  <span>{FORMAT_LABELS[option]}</span>
                </label>
              ))}
            </div>
          </fieldset>
          <label className="switch">
            <input
              type="checkbox"
              checked={circle}
              onChange={(event) => setCircle(event.target.checked)}
            />
            <span className="switch-track" aria-hidden="true" />
            <span>
              Circular crop
              <span className="field-hint">
                {format === 'jpeg'
                  ? 'JPEG has no transparency: white corners.'
                  : 'Transparent corners.'}
              </span>
            </span>
          </label>
          <p className="export-note">
            <Icon name="shield" /> Metadata is stripped.{' '}
            {single ? 'One image file.' : `A zip of ${avatars.length} images.`}
          </p>
        </div>
      </div>
      {outcome && (
        <div className="dialog-status">
          <Notice tone={outcome.tone} testId="export-outcome">
            {outcome.message}
          </Notice>
        </div>
      )}
      <footer className="dialog-footer">
        {single && (
          <button
            type="button"
            className="button"
            data-variant="secondary"
            disabled={busy !== null}
            onClick={() => void copy()}
          >
            <Icon name="copy" /> {busy === 'copy' ? 'Copying…' : 'Copy to clipboard'}
          </button>
        )}
        <span className="spacer" />
        <button
          type="button"
          className="button"
          data-variant="primary"
          disabled={busy !== null}
          onClick={() => void save()}
        >
          <Icon name="download" />{' '}
          {busy === 'export' ? 'Exporting…' : single ? 'Export' : 'Export zip'}
        </button>
      </footer>
    </dialog>
  );
}
