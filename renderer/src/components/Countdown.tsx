import { formatClock } from '../app/format.ts';
import { Icon } from './Icon.tsx';

/** Time left before a run's images are deleted; announced politely, not every second. */
export function Countdown({ seconds, total }: { seconds: number | null; total: number }) {
  if (seconds === null) {
    return (
      <span className="countdown" data-testid="countdown">
        <Icon name="clock" /> Deleted after the run ends
      </span>
    );
  }
  // The host rounds up; never show more than the retention setting itself.
  const shown = total > 0 ? Math.min(seconds, total) : seconds;
  const fraction = total > 0 ? shown / total : 0;
  return (
    <span
      className="countdown"
      data-urgent={shown <= 30 || undefined}
      data-testid="countdown"
      data-seconds={shown}
    >
      <svg className="countdown-ring" viewBox="0 0 36 36" aria-hidden="true">
        <circle cx="18" cy="18" r="15" pathLength={100} className="countdown-track" />
        <circle
          cx="18"
          cy="18"
          r="15"
          pathLength={100}
          className="countdown-value"
          strokeDasharray={`${fraction * 100} 100`}
        />
      </svg>
      <span>
        {shown === 0 ? (
          'Deleting…'
        ) : (
          <>
            Deleted in <strong>{formatClock(shown)}</strong>
          </>
        )}
      </span>
    </span>
  );
}
