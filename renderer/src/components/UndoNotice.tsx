import { useEffect, useRef, useState } from 'react';
import { Icon } from './Icon.tsx';

const UNDO_MS = 8000;

/**
 * "Removed x. Undo" for a few seconds after something was removed. The focus moves to Undo when
 * the removed thing had it; the notice stays while the focus or the pointer is on it, and the
 * time starts again when they leave. Mount one per removal (a key), so each gets its time.
 */
export function UndoNotice({
  message,
  undoLabel,
  onUndo,
  onExpire,
}: {
  message: string;
  undoLabel: string;
  onUndo: () => void;
  onExpire: () => void;
}) {
  const [held, setHeld] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const expire = useRef(onExpire);
  expire.current = onExpire;

  useEffect(() => {
    if (document.activeElement === document.body) button.current?.focus();
  }, []);
  useEffect(() => {
    if (held) return;
    const timer = setTimeout(() => expire.current(), UNDO_MS);
    return () => clearTimeout(timer);
  }, [held]);

  return (
    <div
      className="notice undo-notice"
      data-tone="info"
      role="status"
      data-testid="undo-notice"
      onFocus={() => setHeld(true)}
      onBlur={(event) => {
        if (!event.currentTarget.contains(event.relatedTarget)) setHeld(false);
      }}
      onMouseEnter={() => setHeld(true)}
      onMouseLeave={() => setHeld(document.activeElement === button.current)}
    >
      <span className="notice-icon">
        <Icon name="trash" />
      </span>
      <p className="notice-body">{message}</p>
      <button
        ref={button}
        type="button"
        className="button"
        data-variant="secondary"
        aria-label={undoLabel}
        onClick={onUndo}
      >
        <Icon name="refresh" /> Undo
      </button>
    </div>
  );
}
