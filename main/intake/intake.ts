/**
 * Photo intake: every submitted photo gets a verdict, in order, and the accepted ones a
 * face-centred crop. Nothing is dropped silently: a refused photo's verdict says why, and when
 * the set cannot start a run the start message names the photos to replace or remove.
 *
 * Per photo: decode (size, format, orientation) → duplicate of an accepted photo? → content
 * check → faces → crop and descriptor. Cheap checks come first; the content check precedes the
 * face check so an explicit photo is recorded as such (with its scores) even without a face.
 */
import { decide } from '../moderation/policy.ts';
import type { Moderator } from '../moderation/classifier.ts';
import type { RawImage } from '../tfjs/pixels.ts';
import { faceCrop } from './crop.ts';
import { decodePhoto } from './decode.ts';
import type { FaceDetector } from './face-types.ts';
import { differentPersonWarnings } from './identity.ts';
import { INTAKE_LIMITS } from '../api/intake-limits.ts';
import { hashDistance, perceptualHash } from './phash.ts';
import type { AcceptedPhoto, IntakeResult, PhotoVerdict } from './verdicts.ts';
import { quoteList } from './wording.ts';

export interface SubmittedPhoto {
  /** What the user knows the photo by (its file name); every message quotes it. */
  readonly name: string;
  readonly bytes: Buffer;
}

export interface IntakeDeps {
  /** Loaded once and kept warm by the caller (loadFaceDetector, loadModerator). */
  readonly faces: FaceDetector;
  readonly moderator: Pick<Moderator, 'classify'>;
  readonly signal?: AbortSignal;
  /** Called after each photo: photos checked so far, photos submitted. */
  readonly onProgress?: (checked: number, total: number) => void;
}

export async function checkPhotos(
  photos: readonly SubmittedPhoto[],
  deps: IntakeDeps,
): Promise<IntakeResult> {
  const verdicts: PhotoVerdict[] = [];
  const previews: (Buffer | undefined)[] = [];
  const accepted: AcceptedPhoto[] = [];
  for (const photo of photos) {
    deps.signal?.throwIfAborted();
    const { verdict, keep, preview } = await checkOne(photo, accepted, deps);
    verdicts.push(verdict);
    previews.push(preview);
    if (keep) accepted.push(keep);
    deps.onProgress?.(verdicts.length, photos.length);
  }
  return {
    verdicts,
    previews,
    accepted,
    warnings: differentPersonWarnings(accepted),
    ...startDecision(photos.length, verdicts),
  };
}

interface Checked {
  readonly verdict: PhotoVerdict;
  readonly keep?: AcceptedPhoto;
  readonly preview?: Buffer;
}

async function checkOne(
  { name, bytes }: SubmittedPhoto,
  accepted: readonly AcceptedPhoto[],
  deps: IntakeDeps,
): Promise<Checked> {
  const decoded = await decodePhoto(name, bytes);
  if (!decoded.ok)
    return { verdict: { name, ok: false, code: decoded.code, message: decoded.message } };
  return { ...(await judge(name, decoded.image, accepted, deps)), preview: decoded.preview };
}

/** The checks on the decoded pixels, cheapest first. */
async function judge(
  name: string,
  image: RawImage,
  accepted: readonly AcceptedPhoto[],
  deps: IntakeDeps,
): Promise<Checked> {
  const hash = await perceptualHash(image);
  const original = accepted.find(
    (other) => hashDistance(hash, other.perceptualHash) <= INTAKE_LIMITS.duplicateMaxBits,
  );
  if (original) {
    const message = `"${name}" is a copy of "${original.name}", which is already in. Use a different photo.`;
    return { verdict: { name, ok: false, code: 'DUPLICATE', message } };
  }

  const moderation = decide(await deps.moderator.classify(image), 'upload');
  if (!moderation.allowed) {
    const message = `"${name}" was refused by the on-device content check: ${moderation.reason}.`;
    return { verdict: { name, ok: false, code: 'EXPLICIT', message, moderation } };
  }
  const refuse = (code: 'NO_FACE' | 'MULTIPLE_FACES' | 'FACE_TOO_SMALL', message: string) => ({
    verdict: { name, ok: false as const, code, message, moderation },
  });

  const faces = await deps.faces.detect(image);
  const [face] = faces;
  if (!face) {
    return refuse(
      'NO_FACE',
      `No face was found in "${name}". Use a photo where your face is clearly visible.`,
    );
  }
  if (faces.length > 1) {
    return refuse(
      'MULTIPLE_FACES',
      `"${name}" shows ${faces.length} faces. Use photos of you alone.`,
    );
  }
  if (face.box.width < INTAKE_LIMITS.minFaceWidthPx) {
    return refuse(
      'FACE_TOO_SMALL',
      `The face in "${name}" is only ${Math.round(face.box.width)} pixels wide (at least ${INTAKE_LIMITS.minFaceWidthPx} needed). Use a closer or sharper photo.`,
    );
  }

  const [crop, descriptor] = await Promise.all([
    faceCrop(image, face.box),
    deps.faces.describe(image, face),
  ]);
  return {
    verdict: { name, ok: true, moderation },
    keep: {
      name,
      crop: crop.png,
      cropFace: crop.face,
      face,
      descriptor,
      perceptualHash: hash,
    },
  };
}

function startDecision(
  submitted: number,
  verdicts: readonly PhotoVerdict[],
): Pick<IntakeResult, 'canStart' | 'startCode' | 'startMessage'> {
  const { minPhotos, maxPhotos } = INTAKE_LIMITS;
  const refused = verdicts.filter((v) => !v.ok).map((v) => v.name);
  const acceptedCount = submitted - refused.length;
  if (submitted > maxPhotos) {
    const excess = submitted - maxPhotos;
    const hint =
      refused.length > 0
        ? ` Start with the ones that cannot be used: ${quoteList(refused)}.`
        : ' Any of them will do.';
    return {
      canStart: false,
      startCode: 'TOO_MANY_PHOTOS',
      startMessage: `${submitted} photos were added; a run takes at most ${maxPhotos}. Remove ${excess}.${hint}`,
    };
  }
  if (acceptedCount < minPhotos) {
    const startMessage =
      refused.length > 0
        ? `Only ${acceptedCount} of ${submitted} photos can be used; a run needs at least ${minPhotos}. Replace ${quoteList(refused)} (each says why it was refused), or add photos until ${minPhotos} can be used.`
        : `Only ${submitted} ${submitted === 1 ? 'photo was' : 'photos were'} added; a run needs at least ${minPhotos}. Add ${minPhotos - submitted} more.`;
    return { canStart: false, startCode: 'TOO_FEW_PHOTOS', startMessage };
  }
  return { canStart: true };
}
