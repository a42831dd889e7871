/**
 * What the product promises, in one place: the door refuses past these, the engine and the store
 * enforce them, the page shows them. Imports nothing of Node, so the renderer bundles it too.
 */
import { INTAKE_LIMITS } from './intake-limits.ts';

export const LIMITS = {
  /** Photos a run takes; intake names the one too many, or how many are missing. */
  photos: { min: INTAKE_LIMITS.minPhotos, max: INTAKE_LIMITS.maxPhotos },
  /** Styles one run renders. */
  styles: { min: 1, max: 5 },
  /** Avatars one run makes. */
  avatars: { min: 1, max: 30 },
  /** Seconds from a run's end to the deletion of its images: none to a day. */
  retentionSeconds: { min: 0, max: 86_400 },
  /** Generation runs per local calendar day. */
  dailyRunLimit: { min: 1, max: 1000 },
} as const;

/** An inclusive range of counts or values. */
export type Range = { readonly min: number; readonly max: number };
