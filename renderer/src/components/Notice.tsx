import type { ReactNode } from 'react';
import { Icon, type IconName } from './Icon.tsx';

type Tone = 'info' | 'success' | 'warning' | 'error';

const ICONS: Record<Tone, IconName> = {
  info: 'info',
  success: 'check',
  warning: 'alert',
  error: 'alert',
};

/** A banner: errors and warnings are announced (role alert), information politely (status). */
export function Notice({
  tone,
  title,
  children,
  action,
  testId,
}: {
  tone: Tone;
  title?: ReactNode;
  children?: ReactNode;
  action?: ReactNode;
  testId?: string;
}) {
  return (
    <div
      className="notice"
      data-tone={tone}
      role={tone === 'error' || tone === 'warning' ? 'alert' : 'status'}
      data-testid={testId}
    >
      <span className="notice-icon">
        <Icon name={ICONS[tone]} />
      </span>
      <div className="notice-body">
        {title && <p className="notice-title">{title}</p>}
        {children && <div className="notice-text">{children}</div>}
      </div>
      {action && <div className="notice-action">{action}</div>}
    </div>
  );
}
