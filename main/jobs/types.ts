import type { LoraRequest, ModelFamily } from '../engine/types.ts';
import type { ProviderFallback } from '../engine/onnx/providers.ts';
import type { IntakeWarning, PhotoVerdict } from '../intake/verdicts.ts';
import type { NsfwScores } from '../moderation/policy.ts';

export interface AvatarRunRequest {
  /** 3–10 photos, as the user named them (every message quotes the name). */
  photos: readonly { name: string; bytes: Buffer }[];
  /** 1–5 style ids from the catalogue. */
  styleIds: readonly string[];
  /** Avatars to make, 1–30 (default 30). */
  count?: number;
  /** First seed; avatar i gets seed + i. Default: random. */
  seed?: number;
  /** Output side in pixels, a multiple of 8 (default 512). */
  size?: number;
  /** LoRAs every avatar runs with, after its style's own (none by default). */
  loras?: readonly LoraRequest[];
  source: 'app' | 'cli';
}

/** One finished avatar, kept encrypted in the store under `fileId`. */
export interface AvatarRecord {
  index: number;
  fileId: string;
  styleId: string;
  /** The accepted photo it was made from, by name. */
  photo: string;
  /** The seed that made this image (a retried avatar records its retry's seed). */
  seed: number;
  /** Generations refused by moderation before this one passed (at most 2). */
  retries: number;
  moderation: { allowed: true; scores: NsfwScores };
  /** Face-descriptor distance to the source photo's face; null when no face was found. */
  identity: number | null;
  ms: number;
}

export type AvatarRunPhase = 'loading' | 'intake' | 'generating' | 'done';

/** Progress, per avatar and overall; the UI and the CLI render the same events. */
export interface AvatarRunProgress {
  phase: AvatarRunPhase;
  avatarsDone: number;
  avatarsTotal: number;
  /** The avatar in progress and its UNet step, while generating. */
  current?: { index: number; step: number; steps: number };
  blocked: number;
  /** Undefined until a step has been measured. */
  etaSeconds?: number;
}

export interface AvatarRunResult {
  runId: string;
  cancelled: boolean;
  model: { dir: string; family: ModelFamily; provider: string; fallbacks: ProviderFallback[] };
  size: number;
  verdicts: readonly PhotoVerdict[];
  warnings: readonly IntakeWarning[];
  /** Best identity first (smallest distance), avatars without a face last. */
  avatars: AvatarRecord[];
  /** Generations discarded by moderation, retries included. */
  blocked: number;
  /** Avatars given up after every retry was flagged too. */
  dropped: number;
  timings: { intakeMs: number; generateMs: number; identityMs: number; totalMs: number };
}
