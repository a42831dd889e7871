import type { PhotoVerdictCode } from '../api/contract.ts';
import type { ModerationVerdict } from '../moderation/policy.ts';
import type { DetectedFace, FaceBox, FaceDescriptor } from './face-types.ts';

/** Why one photo was refused: the api's codes (contract.ts), which the UI branches on. */
export type IntakeCode = PhotoVerdictCode;

/** Why the run cannot start with this set of photos. */
export type RunRefusalCode = 'TOO_FEW_PHOTOS' | 'TOO_MANY_PHOTOS';

/** One per submitted photo, in the order submitted; messages name the photo. */
export type PhotoVerdict =
  | {
      readonly name: string;
      readonly ok: true;
      readonly moderation: ModerationVerdict;
    }
  | {
      readonly name: string;
      readonly ok: false;
      readonly code: IntakeCode;
      readonly message: string;
      /** Present whenever the content check ran, refused or not: the audit log keeps the scores. */
      readonly moderation?: ModerationVerdict;
    };

export interface AcceptedPhoto {
  readonly name: string;
  /** PNG, a square of INTAKE_LIMITS.cropSidePx centred on the face; no metadata at all. */
  readonly crop: Buffer;
  /** Where the face is in `crop`, in its pixels: an avatar made from the crop keeps it there. */
  readonly cropFace: FaceBox;
  /** The face in the upright original photo. */
  readonly face: DetectedFace;
  readonly descriptor: FaceDescriptor;
  /** 64-bit perceptual hash of the upright original, 16 hex digits. */
  readonly perceptualHash: string;
}

export interface IntakeWarning {
  readonly code: 'DIFFERENT_PERSON';
  /** The photos concerned, by name. */
  readonly photos: readonly string[];
  readonly message: string;
}

export interface IntakeResult {
  readonly verdicts: readonly PhotoVerdict[];
  /**
   * Per verdict, in the same order: a JPEG of the upright photo where the page cannot show the
   * file itself (HEIC, TIFF), whatever the verdict; undefined for the others and where the file
   * could not be decoded. Kept apart from the verdicts, which reports and manifests carry whole.
   */
  readonly previews: readonly (Buffer | undefined)[];
  readonly accepted: readonly AcceptedPhoto[];
  /** Advice only: a warned photo is still accepted. */
  readonly warnings: readonly IntakeWarning[];
  readonly canStart: boolean;
  /** Set when canStart is false... */
  readonly startCode?: RunRefusalCode;
  /** ...saying which photos to replace or remove. */
  readonly startMessage?: string;
}
