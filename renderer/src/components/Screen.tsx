import { useEffect, useRef, type ReactNode } from 'react';

/** The screen and heading shown last: see Screen. */
let lastShown: string | null = null;

/**
 * A screen's frame: title, one line of explanation, its content, and the action bar. A new screen,
 * or a new heading on this one (a run that ended), takes the focus to its heading, so keyboard
 * and screen reader users start there instead of on <body>; not the first of a page load.
 */
export function Screen({
  id,
  title,
  subtitle,
  aside,
  footer,
  children,
}: {
  id: string;
  title: string;
  subtitle?: ReactNode;
  aside?: ReactNode;
  footer?: ReactNode;
  children: ReactNode;
}) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    const shown = `${id}\n${title}`;
    if (lastShown !== null && lastShown !== shown) heading.current?.focus();
    lastShown = shown;
  }, [id, title]);
  return (
    <section className="screen" aria-labelledby={`${id}-title`} data-testid={`screen-${id}`}>
      <header className="screen-header">
        <div>
          <h1 id={`${id}-title`} tabIndex={-1} ref={heading}>
            {title}
          </h1>
          {subtitle && <p className="screen-subtitle">{subtitle}</p>}
        </div>
        {aside && <div className="screen-aside">{aside}</div>}
      </header>
      <div className="screen-body">{children}</div>
      {footer && <footer className="action-bar">{footer}</footer>}
    </section>
  );
}

/** A small rounded label: counters and states. */
export function Pill({
  tone = 'neutral',
  children,
  testId,
}: {
  tone?: 'neutral' | 'accent' | 'success' | 'warning' | 'danger';
  children: ReactNode;
  testId?: string;
}) {
  return (
    <span className="pill" data-tone={tone} data-testid={testId}>
      {children}
    </span>
  );
}
