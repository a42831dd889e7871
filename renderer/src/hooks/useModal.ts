import { useEffect, useRef, type RefObject } from 'react';

/**
 * Shows a <dialog> as a modal while it is mounted (the browser keeps the focus inside and Escape
 * closes it); once it goes, the focus goes back to what had it before, the button that opened
 * it, when that is still on the page.
 */
export function useModal(): RefObject<HTMLDialogElement | null> {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const element = dialog.current;
    const opener = document.activeElement;
    if (element && !element.open) element.showModal();
    return () => {
      element?.close();
      if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
    };
  }, []);
  return dialog;
}
