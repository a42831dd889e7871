import { useId, useState } from 'react';
import type { StyleLoraSummary } from '../../../main/api/contract.ts';
import { Icon } from './Icon.tsx';

/**
 * A style to choose: its preview, name and description, and its LoRA where it has one; a toggle
 * button named by the style's name alone, the rest its description. A style whose LoRA cannot run
 * stays focusable (so its reason can be read) but is disabled, saying why.
 */
export function StyleCard({
  name,
  description,
  previewUrl,
  lora,
  selected,
  tabbable,
  onToggle,
  onFocus,
}: {
  name: string;
  description: string;
  previewUrl: string;
  lora?: StyleLoraSummary | undefined;
  selected: boolean;
  /** The one card of the picker that Tab stops at (the arrow keys move it). */
  tabbable: boolean;
  onToggle: () => void;
  onFocus: () => void;
}) {
  const [broken, setBroken] = useState(false);
  const id = useId();
  const unavailable = lora?.available === false;
  const described = [
    `${id}-description`,
    lora && `${id}-lora`,
    unavailable && `${id}-reason`,
  ].filter(Boolean);
  return (
    <li>
      <button
        type="button"
        className="style-card"
        aria-pressed={selected}
        aria-disabled={unavailable || undefined}
        aria-labelledby={`${id}-name`}
        aria-describedby={described.join(' ')}
        tabIndex={tabbable ? 0 : -1}
        data-testid="style-card"
        onClick={unavailable ? undefined : onToggle}
        onFocus={onFocus}
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
          <span className="style-name" id={`${id}-name`}>
            {name}
          </span>
          <span className="style-description" id={`${id}-description`}>
            {description}
          </span>
          {lora && <LoraBadge id={`${id}-lora`} lora={lora} />}
          {unavailable && (
            <span className="style-unavailable" id={`${id}-reason`} data-testid="style-reason">
              <Icon name="alert" size={14} />
              <span>{lora.reason ?? 'Its LoRA cannot be used.'}</span>
            </span>
          )}
        </span>
      </button>
    </li>
  );
}

/** "LoRA clay-figure ×0.8": which LoRA the style runs with, and how strongly. */
function LoraBadge({ id, lora }: { id: string; lora: StyleLoraSummary }) {
  const said = `LoRA ${lora.name}, scale ${lora.scale}`;
  return (
    <span className="style-lora" id={id} data-testid="style-lora" title={said}>
      <span className="style-lora-tag" aria-hidden="true">
        LoRA
      </span>
      <span className="style-lora-name" aria-hidden="true">
        {lora.name}
      </span>
      <span className="style-lora-scale" aria-hidden="true">
        ×{lora.scale}
      </span>
      <span className="visually-hidden">{said}</span>
    </span>
  );
}
