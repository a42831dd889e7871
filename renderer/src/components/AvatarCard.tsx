import { useState } from 'react';
import { Icon } from './Icon.tsx';

/** One avatar: the image, its style and likeness, a selection checkbox and a quick export. */
export function AvatarCard({
  imageUrl,
  styleName,
  photo,
  likeness,
  selected,
  onSelect,
  onExport,
}: {
  imageUrl: string;
  styleName: string;
  photo: string;
  likeness: string | null;
  selected: boolean;
  onSelect: (selected: boolean) => void;
  onExport: () => void;
}) {
  const [broken, setBroken] = useState(false);
  const label = `${styleName} avatar from ${photo}`;
  return (
    <li className="avatar-card" data-selected={selected || undefined} data-testid="avatar-card">
      <div className="avatar-image">
        {broken ? (
          <span className="avatar-placeholder" aria-hidden="true">
            <Icon name="image" size={28} />
          </span>
        ) : (
          <img src={imageUrl} alt={label} onError={() => setBroken(true)} />
        )}
        <label className="avatar-select">
          <input
            type="checkbox"
            checked={selected}
            onChange={(event) => onSelect(event.target.checked)}
            aria-label={`Select ${label}`}
          />
        </label>
      </div>
      <div className="avatar-body">
        <div className="avatar-text">
          <span className="avatar-style">{styleName}</span>
          <span className="avatar-meta">{likeness ?? photo}</span>
        </div>
        <button
          type="button"
          className="icon-button"
          aria-label={`Export ${label}`}
          title="Export"
          onClick={onExport}
        >
          <Icon name="download" />
        </button>
      </div>
    </li>
  );
}
