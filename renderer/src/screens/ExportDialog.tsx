import { useState } from 'react';
import {
  EXPORT_FORMATS,
  EXPORT_SIZES,
  type AvatarSummary,
  type ExportRequest,
} from '../../../main/api/contract.ts';
import type { Outcome } from '../app/actions/effects/context.ts';
import { copyToClipboard, exportToFile } from '../app/actions/effects/export.ts';
import { plural } from '../app/format.ts';
import { useStore } from '../app/store.tsx';
import { Icon } from '../components/Icon.tsx';
import { Notice } from '../components/Notice.tsx';
import { SegmentedControl, type Segment } from '../components/SegmentedControl.tsx';
import { useModal } from '../hooks/useModal.ts';

type Size = ExportRequest['size'];
type Format = ExportRequest['format'];

const SIZES: Segment<Size>[] = EXPORT_SIZES.map((size) => ({
  value: size,
  label: `${size}×${size}`,
}));
const FORMAT_LABELS: Record<Format, string> = { png: 'PNG', jpeg: 'JPEG', webp: 'WebP' };
const FORMATS: Segment<Format>[] = EXPORT_FORMATS.map((format) => ({
  value: format,
  label: FORMAT_LABELS[format],
}));

/** What the dialog's two buttons do: the one running shows it in its label. */
const WORK = { export: exportToFile, copy: copyToClipboard };

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
  const store = useStore();
  const dialog = useModal();
  const [size, setSize] = useState<Size>(512);
  const [format, setFormat] = useState<Format>('png');
  const [circle, setCircle] = useState(false);
  const [busy, setBusy] = useState<keyof typeof WORK | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const single = avatars.length === 1;
  const first = avatars[0];

  const run = async (work: keyof typeof WORK) => {
    setBusy(work);
    setOutcome(null);
    const request = { avatarIds: avatars.map((avatar) => avatar.id), size, format, circle };
    setOutcome(await WORK[work](store, request));
    setBusy(null);
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
          <SegmentedControl
            legend="Size"
            name="export-size"
            options={SIZES}
            value={size}
            onChange={setSize}
          />
          <SegmentedControl
            legend="Format"
            name="export-format"
            options={FORMATS}
            value={format}
            onChange={setFormat}
          />
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
            onClick={() => void run('copy')}
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
          onClick={() => void run('export')}
        >
          <Icon name="download" />{' '}
          {busy === 'export' ? 'Exporting…' : single ? 'Export' : 'Export zip'}
        </button>
      </footer>
    </dialog>
  );
}
