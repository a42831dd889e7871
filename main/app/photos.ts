/**
 * Photos across the door: uploads in as intake takes them, verdicts out as the page shows them
 * (the reason, by name; the moderation scores stay inside).
 */
import type {
  IntakeReport,
  PhotoUpload,
  PhotoVerdict as ApiPhotoVerdict,
} from '../api/contract.ts';
import type { SubmittedPhoto } from '../intake/intake.ts';
import type { IntakeResult, PhotoVerdict } from '../intake/verdicts.ts';

/** The same memory seen as Buffers (what intake and sharp take), not copies. */
export function submittedPhotos(photos: readonly PhotoUpload[]): SubmittedPhoto[] {
  return photos.map(({ name, bytes }) => ({
    name,
    bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
  }));
}

export function toApiVerdict(verdict: PhotoVerdict): ApiPhotoVerdict {
  return verdict.ok
    ? { name: verdict.name, ok: true }
    : { name: verdict.name, ok: false, code: verdict.code, message: verdict.message };
}

export function toIntakeReport(result: IntakeResult): IntakeReport {
  return {
    verdicts: result.verdicts.map((verdict, i) => {
      const preview = result.previews[i];
      return preview ? { ...toApiVerdict(verdict), preview } : toApiVerdict(verdict);
    }),
    warnings: result.warnings.map(({ photos, message }) => ({ photos: [...photos], message })),
    canStart: result.canStart,
    ...(result.startMessage === undefined ? {} : { startMessage: result.startMessage }),
  };
}
