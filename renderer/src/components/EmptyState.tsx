import type { ReactNode, Ref } from 'react';
import { Icon, type IconName } from './Icon.tsx';

export function EmptyState({
  icon,
  title,
  children,
  action,
  testId,
  titleRef,
}: {
  icon: IconName;
  title: string;
  children?: ReactNode;
  action?: ReactNode;
  testId?: string;
  /** For a screen that moves the focus to the title (it is then focusable by script only). */
  titleRef?: Ref<HTMLHeadingElement>;
}) {
  return (
    <div className="empty" data-testid={testId}>
      <span className="empty-icon">
        <Icon name={icon} size={28} />
      </span>
      <h2 className="empty-title" ref={titleRef} tabIndex={titleRef ? -1 : undefined}>
        {title}
      </h2>
      {children && <div className="empty-text">{children}</div>}
      {action && <div className="empty-action">{action}</div>}
    </div>
  );
}
