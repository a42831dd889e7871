import { useRef, useState, type DragEvent } from 'react';
import { Icon } from './Icon.tsx';

/** Drop photos here or pick them; `compact` once some are added. */
export function Dropzone({
  onFiles,
  compact,
  disabled,
}: {
  onFiles: (files: File[]) => void;
  compact: boolean;
  disabled?: boolean;
}) {
  const input = useRef<HTMLInputElement>(null);
  const [over, setOver] = useState(false);

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setOver(false);
    if (!disabled) onFiles([...event.dataTransfer.files]);
  };

  return (
    <div
      className="dropzone"
      data-compact={compact || undefined}
      data-over={over || undefined}
      data-testid="dropzone"
      onDragOver={(event) => {
        event.preventDefault();
        event.dataTransfer.dropEffect = disabled ? 'none' : 'copy';
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={onDrop}
    >
      <span className="dropzone-icon">
        <Icon name="upload" size={compact ? 20 : 28} />
      </span>
      <div className="dropzone-text">
        <p className="dropzone-title">
          {compact ? 'Drop more photos here' : 'Drop 3–10 photos of yourself here'}
        </p>
        {!compact && (
          <p className="dropzone-hint">
            Clear, well-lit photos where only you are in the frame. JPEG, PNG, WebP, HEIC, at least
            256 px.
          </p>
        )}
      </div>
      <button
        type="button"
        className="button"
        data-variant={compact ? 'secondary' : 'primary'}
        disabled={disabled}
        onClick={() => input.current?.click()}
      >
        <Icon name="image" /> Choose photos…
      </button>
      <input
        ref={input}
        type="file"
        accept="image/*,.heic,.heif"
        multiple
        hidden
        aria-label="Choose photos"
        data-testid="photo-input"
        onChange={(event) => {
          onFiles([...(event.target.files ?? [])]);
          event.target.value = '';
        }}
      />
    </div>
  );
}
