import type { Database } from 'better-sqlite3';
import { type Clock, localDay, startOfNextLocalDay } from './clock.ts';
import { StoreError } from './errors.ts';

export interface QuotaStatus {
  /** The local calendar day the quota counts against (YYYY-MM-DD). */
  readonly day: string;
  readonly used: number;
  readonly limit: number;
  /** Epoch ms when a run is next allowed; null while one is allowed now. */
  readonly nextAllowedAt: number | null;
}

/**
 * The day the quota counts against: today in the user's current zone, unless a run was already
 * charged to a later day. Then the clock was moved back (or the zone moved west) and reads a day
 * that is already over: it counts as that later day, so turning the clock back grants nothing
 * while a genuinely new day still does.
 */
function quotaDay(db: Database, clock: Clock, now: number): string {
  const today = localDay(clock, now);
  const latest = db.prepare('SELECT max(day) FROM daily_usage').pluck().get() as string | null;
  return latest !== null && latest > today ? latest : today;
}

export function quotaStatus(db: Database, clock: Clock, limit: number): QuotaStatus {
  const day = quotaDay(db, clock, clock.now());
  const used =
    (db.prepare('SELECT runs FROM daily_usage WHERE day = ?').pluck().get(day) as
      number | undefined) ?? 0;
  return { day, used, limit, nextAllowedAt: used < limit ? null : startOfNextLocalDay(clock, day) };
}

/**
 * Charges one run to today, or refuses with the time the next run is allowed. Call it inside the
 * transaction that records the run, so a run never exists without its use or the other way round.
 */
export function chargeRun(db: Database, clock: Clock, limit: number): string {
  const status = quotaStatus(db, clock, limit);
  if (status.nextAllowedAt !== null) {
    const minutes = Math.max(1, Math.ceil((status.nextAllowedAt - clock.now()) / 60_000));
    throw new StoreError(
      'QUOTA_EXCEEDED',
      `The daily limit of ${limit} generation run${limit === 1 ? '' : 's'} is used; the next run is allowed in ${Math.floor(minutes / 60)} h ${minutes % 60} min.`,
      status.nextAllowedAt,
    );
  }
  db.prepare(
    'INSERT INTO daily_usage (day, runs) VALUES (?, 1) ON CONFLICT (day) DO UPDATE SET runs = runs + 1',
  ).run(status.day);
  return status.day;
}

/** Gives a run's use back (it ended without an avatar); a second call is a no-op. */
export function refundRun(db: Database, runId: string): void {
  db.transaction(() => {
    const day = db.prepare('SELECT usage_day FROM runs WHERE id = ?').pluck().get(runId) as
      string | null | undefined;
    if (day == null) return;
    db.prepare('UPDATE daily_usage SET runs = runs - 1 WHERE day = ?').run(day);
    db.prepare('UPDATE runs SET usage_day = NULL WHERE id = ?').run(runId);
  })();
}
