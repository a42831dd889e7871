import type { RunProgressEvent } from '../../../main/api/contract.ts';

/**
 * Time estimates from what this computer measured, never a typical figure: before a run, the
 * seconds per avatar of the last run (app:status); during one, the engine's ETA from this run's
 * own step times, and the last run's figure until the engine has timed an avatar. Null: nothing
 * is measured yet, and the screen says it is estimating.
 */
export function secondsFor(avatars: number, secondsPerAvatar: number | null): number | null {
  return secondsPerAvatar === null ? null : Math.max(avatars, 0) * secondsPerAvatar;
}

export function runSecondsLeft(
  progress: RunProgressEvent | null,
  total: number,
  secondsPerAvatar: number | null,
): number | null {
  if (progress?.etaSeconds !== undefined) return progress.etaSeconds;
  return secondsFor(total - (progress?.avatarsDone ?? 0), secondsPerAvatar);
}
