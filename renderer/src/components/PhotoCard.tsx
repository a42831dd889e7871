import { useRef, useState } from 'react';
import type { PhotoVerdict } from '../../../main/api/contract.ts';
import { useBytesUrl } from '../hooks/useBytesUrl.ts';
import { Icon } from './Icon.tsx';

export type VerdictView = { state: 'checking' } | { state: 'done'; verdict: PhotoVerdict };

/** One added photo: thumbnail, verdict with its reason, replace and remove. */
export function PhotoCard({
  photoKey,
  name,
  previewUrl,
  verdict,
  onRemove,
  onReplace,
}: {
  /** The photo's identity on this page (two may share a name): Undo finds it by this. */
  photoKey: string;
  name: string;
  previewUrl: string;
  verdict: VerdictView;
  onRemove: () => void;
  onReplace: (file: File) => void;
}) {
  const input = useRef<HTMLInputElement>(null);
  // A file the page cannot show (HEIC, TIFF) gets a JPEG from the host with its verdict.
  const hostPreview = useBytesUrl(
    verdict.state === 'done' ? verdict.verdict.preview : undefined,
    'image/jpeg',
  );
  const src = hostPreview ?? previewUrl;
  const [brokenSrc, setBrokenSrc] = useState<string | null>(null);
  const tone =
    verdict.state === 'checking' ? 'pending' : verdict.verdict.ok ? 'accepted' : 'refused';

  return (
    <li
      className="photo-card"
      data-tone={tone}
      data-testid="photo-card"
      data-name={name}
      data-key={photoKey}
    >
      <div className="photo-thumb">
        {brokenSrc === src ? (
          <span className="photo-thumb-placeholder" aria-hidden="true">
            <Icon name="image" size={28} />
          </span>
        ) : (
          <img src={src} alt={`Photo ${name}`} onError={() => setBrokenSrc(src)} />
        )}
        <span className="photo-badge" aria-hidden="true">
          {tone === 'pending' ? (
            <span className="spinner" />
          ) : (
            <Icon name={tone === 'accepted' ? 'check' : 'x'} size={14} />
          )}
        </span>
      </div>
      <div className="photo-body">
        <div className="photo-text">
          <p className="photo-name" title={name}>
            {name}
          </p>
          <p className="photo-verdict" data-testid="photo-verdict" data-code={verdictCode(verdict)}>
            {verdict.state === 'checking'
              ? 'Checking…'
              : verdict.verdict.ok
                ? 'Looks good'
                : (verdict.verdict.message ?? 'This photo cannot be used.')}
          </p>
        </div>
        <div className="photo-actions">
          <button
            type="button"
            className="icon-button"
            aria-label={`Replace ${name}`}
            title="Replace"
            onClick={() => input.current?.click()}
          >
            <Icon name="swap" />
          </button>
          <button
            type="button"
            className="icon-button"
            data-tone="danger"
            data-action="remove"
            aria-label={`Remove ${name}`}
            title="Remove"
            onClick={onRemove}
          >
            <Icon name="trash" />
          </button>
          <input
            ref={input}
            type="file"
            accept="image/*,.heic,.heif"
            hidden
            aria-label={`Replacement for ${name}`}
            data-testid="replace-input"
            onChange={(event) => {
              const file = event.target.files?.[0];
              if (file) onReplace(file);
              event.target.value = '';
            }}
          />
        </div>
      </div>
    </li>
  );
}

function verdictCode(verdict: VerdictView): string {
  if (verdict.state === 'checking') return 'CHECKING';
  return verdict.verdict.ok ? 'OK' : (verdict.verdict.code ?? 'REFUSED');
}
