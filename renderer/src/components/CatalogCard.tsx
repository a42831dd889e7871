import { useEffect, useRef, type ReactNode } from 'react';
import type { CatalogModel, ModelFamily } from '../../../main/api/contract.ts';
import { formatBytes } from '../app/format.ts';
import { Icon } from './Icon.tsx';
import { Pill } from './Screen.tsx';

const FAMILIES: Record<ModelFamily, string> = {
  turbo: 'SD-Turbo family',
  lcm: 'LCM family',
  sd15: 'Stable Diffusion 1.5 family',
};

/**
 * A catalogue model: what it is and weighs; its licence, read before anything is downloaded,
 * then an explicit Install. `children`: its install's progress or outcome.
 */
export function CatalogCard({
  model,
  reviewing,
  installing,
  disabled,
  onReview,
  onInstall,
  onNotNow,
  children,
}: {
  model: CatalogModel;
  /** The licence is open, waiting for Install. */
  reviewing: boolean;
  /** Its own install is running (its progress is the card's `children`). */
  installing: boolean;
  /** Another model job is running. */
  disabled: boolean;
  onReview: () => void;
  onInstall: () => void;
  onNotNow: () => void;
  children?: ReactNode;
}) {
  const licenceHeading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (reviewing) licenceHeading.current?.focus();
  }, [reviewing]);
  const nameId = `catalog-${model.id}`;
  const size =
    model.bytes === null
      ? 'size read from the publisher when the download starts'
      : `${formatBytes(model.bytes)} download`;

  return (
    <li className="catalog-card" data-testid="catalog-model" data-id={model.id}>
      <div className="catalog-head">
        <span className="model-text">
          <span className="model-name" id={nameId}>
            {model.name}
          </span>
          <span className="model-meta">
            {FAMILIES[model.family]} · {size}
          </span>
          {model.provenance && <span className="model-meta">{model.provenance}</span>}
        </span>
        {model.installed ? (
          <Pill tone="success">Installed</Pill>
        ) : (
          !reviewing &&
          !installing && (
            <button
              type="button"
              className="button"
              data-variant="secondary"
              aria-describedby={nameId}
              disabled={disabled}
              onClick={onReview}
            >
              <Icon name="download" /> Install…
            </button>
          )
        )}
      </div>
      {reviewing && (
        <section className="licence" aria-labelledby={`${nameId}-licence`}>
          <h3 className="licence-title" id={`${nameId}-licence`} tabIndex={-1} ref={licenceHeading}>
            Licence of {model.name}
          </h3>
          <p data-testid="catalog-licence">{model.licence.text}</p>
          {model.licence.url && (
            <p className="field-hint">
              Its model card: <span className="licence-url">{model.licence.url}</span>
            </p>
          )}
          {model.addons.map((addon) => (
            <p key={addon.name} className="field-hint">
              Installed with it: {addon.name}, licence {addon.licence}.
            </p>
          ))}
          <p className="field-hint">
            By installing it you accept this licence. It is downloaded once, every file checked
            (SHA-256), and built for this computer; your photos are never part of any download.
          </p>
          <div className="licence-actions">
            <button
              type="button"
              className="button"
              data-variant="primary"
              disabled={disabled}
              onClick={onInstall}
            >
              <Icon name="download" /> Install {model.name}
            </button>
            <button type="button" className="button" data-variant="ghost" onClick={onNotNow}>
              Not now
            </button>
          </div>
        </section>
      )}
      {children}
    </li>
  );
}
