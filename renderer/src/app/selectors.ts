import type { AppStatus, PhotoVerdict } from '../../../main/api/contract.ts';
import { plural } from './format.ts';
import { PHOTO_LIMITS, STYLE_LIMITS, type AppState, type LocalPhoto } from './state.ts';

/** Derived facts the screens read; pure functions of the state. */

/** True when the last check answered exactly the photos on screen. */
export function intakeIsCurrent(state: AppState): boolean {
  const { checkedKeys } = state.intake;
  return (
    checkedKeys.length === state.photos.length &&
    checkedKeys.every((key, index) => state.photos[index]?.key === key)
  );
}

/** The verdict for each photo on screen, when the check that produced it covered that photo. */
export function verdictFor(state: AppState, photo: LocalPhoto): PhotoVerdict | undefined {
  const index = state.intake.checkedKeys.indexOf(photo.key);
  return index < 0 ? undefined : state.intake.report?.verdicts[index];
}

export function photosReady(state: AppState): boolean {
  return (
    state.photos.length >= PHOTO_LIMITS.min &&
    state.photos.length <= PHOTO_LIMITS.max &&
    intakeIsCurrent(state) &&
    state.intake.report?.canStart === true
  );
}

export function stylesReady(state: AppState): boolean {
  const n = state.selectedStyles.length;
  return n >= STYLE_LIMITS.min && n <= STYLE_LIMITS.max;
}

export function quotaLeft(status: AppStatus): number {
  return Math.max(status.quota.limit - status.quota.used, 0);
}

export function runIsActive(state: AppState): boolean {
  return state.run !== null && state.run.outcome === null;
}

/** Everything the start button needs; the reason is shown next to it when it is disabled. */
export function startBlocker(state: AppState): string | null {
  if (state.status.state !== 'ready') return 'Waiting for the app to be ready.';
  const status = state.status.value;
  if (!status.model) return 'Install a model first.';
  if (runIsActive(state)) return 'A run is in progress.';
  if (quotaLeft(status) === 0) return "Today's run is used.";
  if (!photosReady(state)) return 'Add 3–10 accepted photos first.';
  if (!stylesReady(state)) return `Choose 1–${STYLE_LIMITS.max} styles first.`;
  return null;
}

/** A run's deletion countdown as runs:list gave it: `seconds` left when the list was fetched. */
export interface Deletion {
  seconds: number;
  fetchedAt: number;
}

/** Null while the run goes on (or is not listed): its countdown starts when it ends. */
export function deletionOf(state: AppState, runId: string): Deletion | null {
  const list = state.countdowns;
  const seconds = list?.runs.find((run) => run.runId === runId)?.secondsUntilDeletion;
  return list && typeof seconds === 'number' ? { seconds, fetchedAt: list.fetchedAt } : null;
}

/** Seconds left before a run's deletion, ticked down locally from when runs:list answered. */
export function secondsLeft({ seconds, fetchedAt }: Deletion, now: number): number {
  return Math.max(0, seconds - Math.floor((now - fetchedAt) / 1000));
}

/** When the first listed countdown reaches zero, the moment secondsLeft first says 0; or null. */
export function firstZeroAt(state: AppState): number | null {
  const list = state.countdowns;
  if (!list) return null;
  const zeros = list.runs.flatMap(({ secondsUntilDeletion: seconds }) =>
    seconds === null ? [] : [list.fetchedAt + seconds * 1000],
  );
  return zeros.length > 0 ? Math.min(...zeros) : null;
}

/** Spoken progress comes every this many avatars: a few, never every step. */
export function milestoneEvery(total: number): number {
  return Math.max(1, Math.ceil(total / 5));
}

/**
 * What a screen reader hears about the run, politely: that it started, every few avatars, that it
 * finished and the gallery opened. A cancel or a failure is said by its own notice on the screen.
 */
export function runAnnouncement(state: AppState): string {
  const run = state.run;
  if (!run) return '';
  const made = state.gallery.find((entry) => entry.runId === run.runId)?.avatars.length ?? 0;
  if (run.outcome) {
    if (run.outcome.cancelled || run.outcome.error) return '';
    const where =
      state.step === 'gallery'
        ? 'The gallery is open, best likeness first.'
        : 'They are in the gallery.';
    return `Finished: ${plural(made, 'avatar')} made. ${where}`;
  }
  const progress = run.progress;
  if (!progress || progress.phase !== 'generating') return 'The run is starting.';
  const { avatarsDone, avatarsTotal } = progress;
  if (avatarsDone === 0) return `Generating ${plural(avatarsTotal, 'avatar')}.`;
  const every = milestoneEvery(avatarsTotal);
  // The first avatar, then every few.
  const reached = avatarsDone < every ? 1 : avatarsDone - (avatarsDone % every);
  return `${reached} of ${plural(avatarsTotal, 'avatar')} made.`;
}

/** Avatars kept from earlier runs while no run is going: the studio says where they wait. */
export function avatarsWaiting(state: AppState): number {
  if (runIsActive(state)) return 0;
  return state.gallery
    .filter((run) => !run.deleted && run.complete)
    .reduce((n, run) => n + run.avatars.length, 0);
}
