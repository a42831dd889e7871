import { formatClock } from '../app/format.ts';
import { secondsLeft, type Deletion } from '../app/selectors.ts';
import { useNow } from '../hooks/useNow.ts';
import { Icon } from './Icon.tsx';

/**
 * Time left before a run's images are deleted, ticking by itself (only it re-renders each
 * second); announced politely, not every second. `deletion` null: the run has not ended yet.
 */
export function Countdown({ deletion, total }: { deletion: Deletion | null; total: number }) {
  if (deletion === null) {
    return (
      <span className="countdown" data-testid="countdown">
        <Icon name="clock" /> Deleted after the run ends
      </span>
    );
  }
  return <Ticking deletion={deletion} total={total} />;
}

/** Mounted only while counting down, so its clock starts from the time it is first shown. */
function Ticking({ deletion, total }: { deletion: Deletion; total: number }) {
  const seconds = secondsLeft(deletion, useNow());
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
