/**
 * The moderation policy: which NSFW scores refuse an upload or a generated avatar. Pure, so the
 * decision is tested on score vectors; every threshold lives in MODERATION_POLICY. Why these
 * numbers: POLICY.md (measured by scripts/calibrate-moderation.ts on real safe portraits).
 */

export const NSFW_CLASSES = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'] as const;
export type NsfwClass = (typeof NSFW_CLASSES)[number];
/** One probability per class, summing to ~1 (nsfwjs' softmax). */
export type NsfwScores = Readonly<Record<NsfwClass, number>>;

export type NsfwModelName = 'MobileNetV2' | 'MobileNetV2Mid' | 'InceptionV3';
export type ModerationTarget = 'upload' | 'avatar';

export interface Thresholds {
  /** Refuse when Porn alone reaches this. */
  readonly porn: number;
  /** Refuse when Hentai (explicit drawing) alone reaches this. */
  readonly hentai: number;
  /** Refuse when Porn + Hentai reach this: explicit content split across the two classes. */
  readonly explicit: number;
}

/**
 * Sexy, Neutral and Drawing never refuse: on clothed head-and-shoulders portraits every model
 * here puts much of its weight on Sexy and Porn, so only confident explicit scores count.
 * Avatars are held to a stricter line than uploads because a refused avatar is simply
 * generated again, while a refused upload costs the user a photo.
 */
export const MODERATION_POLICY = {
  /** Fewest false positives on the safe portraits (0 of 44 at these thresholds) and fast. */
  model: 'MobileNetV2Mid',
  upload: { porn: 0.85, hentai: 0.85, explicit: 0.9 },
  avatar: { porn: 0.8, hentai: 0.7, explicit: 0.85 },
} as const satisfies {
  readonly model: NsfwModelName;
  readonly upload: Thresholds;
  readonly avatar: Thresholds;
};

export interface ModerationVerdict {
  readonly allowed: boolean;
  /** Why it was refused, in words fit for the user; absent when allowed. */
  readonly reason?: string;
  /** Kept with every verdict for the audit log. */
  readonly scores: NsfwScores;
}

export function decide(scores: NsfwScores, target: ModerationTarget): ModerationVerdict {
  // Fail closed: a classifier fault must not wave an image through.
  if (!NSFW_CLASSES.every((c) => Number.isFinite(scores[c]))) {
    return { allowed: false, reason: 'the content check produced no usable scores', scores };
  }
  const limits: Thresholds = MODERATION_POLICY[target];
  const explicit = scores.Porn + scores.Hentai;
  const score = (value: number) => value.toFixed(2);
  let reason: string | undefined;
  if (scores.Porn >= limits.porn) {
    reason = `it looks sexually explicit (Porn score ${score(scores.Porn)}, limit ${limits.porn})`;
  } else if (scores.Hentai >= limits.hentai) {
    reason = `it looks like an explicit drawing (Hentai score ${score(scores.Hentai)}, limit ${limits.hentai})`;
  } else if (explicit >= limits.explicit) {
    reason = `it looks sexually explicit (Porn + Hentai score ${score(explicit)}, limit ${limits.explicit})`;
  }
  return reason === undefined ? { allowed: true, scores } : { allowed: false, reason, scores };
}
