import { LIMITS } from '../api/limits.ts';

/** The largest run the product promises. */
export const MAX_AVATARS = LIMITS.avatars.max;

export interface PlannedAvatar {
  /** 0-based position in the run; file names and progress count by it. */
  readonly index: number;
  readonly styleId: string;
  /** Index into the accepted photos. */
  readonly photo: number;
  /** Recorded in the manifest: the same model, photo, style and seed reproduce the avatar bit for bit. */
  readonly seed: number;
}

/**
 * Spreads `count` avatars evenly over the styles and the photos: styles take turns, and each
 * style walks through the photos in turn, so 30 avatars of 5 styles from 3 photos give every style
 * 6 avatars and every (style, photo) pair 2.
 */
export function planAvatars(
  styleIds: readonly string[],
  photoCount: number,
  count: number,
  baseSeed: number,
): PlannedAvatar[] {
  if (styleIds.length === 0 || photoCount === 0) return [];
  return Array.from({ length: count }, (_, index) => ({
    index,
    styleId: styleIds[index % styleIds.length]!,
    photo: Math.floor(index / styleIds.length) % photoCount,
    seed: (baseSeed + index) >>> 0,
  }));
}

/** A flagged avatar is regenerated with another seed: far from the run's own seeds, still recorded. */
export function retrySeed(seed: number, attempt: number): number {
  return (seed + attempt * 1_000_003) >>> 0;
}
