import { useState } from 'react';
import { Icon } from './Icon.tsx';

/** A style to choose: its preview, name and description; a toggle button. */
export function StyleCard({
  name,
  description,
  previewUrl,
  selected,
  onToggle,
}: {
  name: string;
  description: string;
  previewUrl: string;
  selected: boolean;
  onToggle: () => void;
}) {
  const [broken, setBroken] = useState(false);
  return (
    <li>
      <button
        type="button"
        className="style-card"
        aria-pressed={selected}
        data-testid="style-card"
        onClick={onToggle}
      >
        <span className="style-preview">
          {broken ? (
            <span className="style-preview-placeholder" aria-hidden="true">
              <Icon name="image" size={28} />
            </span>
          ) : (
            <img src={previewUrl} alt="" loading="lazy" onError={() => setBroken(true)} />
          )}
          <span className="style-check" aria-hidden="true">
            <Icon name="check" size={14} />
          </span>
        </span>
        <span className="style-text">
          <span className="style-name">{name}</span>
          <span className="style-description">{description}</span>
        </span>
      </button>
    </li>
  );
}
