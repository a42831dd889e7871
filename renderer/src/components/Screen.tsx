import type { ReactNode } from 'react';

/** A screen's frame: title, one line of explanation, its content, and the action bar. */
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
  return (
    <section className="screen" aria-labelledby={`${id}-title`} data-testid={`screen-${id}`}>
      <header className="screen-header">
        <div>
          <h1 id={`${id}-title`} tabIndex={-1}>
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
