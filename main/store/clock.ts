/** A pending timer; cancelling one that already fired is harmless. */
export interface Timer {
  cancel(): void;
}

/**
 * Wall-clock time, the user's time zone and timers, injected so tests can move time, change zone
 * and roll the clock back without waiting.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Minutes east of UTC at the instant `at` in the user's current zone (UTC+2 gives 120). */
  utcOffsetMinutes(at: number): number;
  /** Runs `callback` after `delayMs`; the timer never keeps the process alive on its own. */
  setTimer(callback: () => void, delayMs: number): Timer;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  utcOffsetMinutes: (at) => -new Date(at).getTimezoneOffset(),
  setTimer(callback, delayMs) {
    const handle = setTimeout(callback, delayMs);
    handle.unref();
    return { cancel: () => clearTimeout(handle) };
  },
};

const MS_PER_MINUTE = 60_000;

/** The user's local calendar day at `at`, as YYYY-MM-DD (sorts like the dates it names). */
export function localDay(clock: Clock, at: number): string {
  return new Date(at + clock.utcOffsetMinutes(at) * MS_PER_MINUTE).toISOString().slice(0, 10);
}

/** Epoch ms of local midnight that starts the day after `day`, in the user's current zone. */
export function startOfNextLocalDay(clock: Clock, day: string): number {
  const [year, month, date] = day.split('-').map(Number) as [number, number, number];
  const midnightUtc = Date.UTC(year, month - 1, date + 1);
  // The offset that applies at local midnight may differ from today's (a DST change that night):
  // take a first guess from the UTC instant, then correct with the offset at the guess.
  const guess = midnightUtc - clock.utcOffsetMinutes(midnightUtc) * MS_PER_MINUTE;
  return midnightUtc - clock.utcOffsetMinutes(guess) * MS_PER_MINUTE;
}
