import { useId, type ReactNode } from 'react';
import { useModal } from '../hooks/useModal.ts';
import { Icon, type IconName } from './Icon.tsx';

/**
 * Asks before something that cannot be undone. The safe answer comes first and has the focus,
 * so Enter or Escape keeps things as they are; the dialog says what exactly would be lost.
 */
export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  confirmIcon,
  keepLabel,
  onConfirm,
  onKeep,
  testId,
}: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  confirmIcon: IconName;
  keepLabel: string;
  onConfirm: () => void;
  onKeep: () => void;
  testId?: string;
}) {
  const dialog = useModal();
  const id = useId();
  return (
    <dialog
      ref={dialog}
      className="dialog"
      data-size="sm"
      role="alertdialog"
      aria-labelledby={`${id}-title`}
      aria-describedby={`${id}-text`}
      data-testid={testId}
      onCancel={(event) => {
        // Escape: the parent unmounts the dialog, which closes it and gives the focus back.
        event.preventDefault();
        onKeep();
      }}
    >
      <header className="dialog-header">
        <h2 id={`${id}-title`}>{title}</h2>
      </header>
      <div className="dialog-body" id={`${id}-text`}>
        {children}
      </div>
      <footer className="dialog-footer">
        <span className="spacer" />
        <button type="button" className="button" data-variant="secondary" onClick={onKeep}>
          {keepLabel}
        </button>
        <button type="button" className="button" data-variant="danger" onClick={onConfirm}>
          <Icon name={confirmIcon} /> {confirmLabel}
        </button>
      </footer>
    </dialog>
  );
}
