import { descriptorDistance, type FaceDetector } from '../intake/face-types.ts';
import { INTAKE_LIMITS } from '../api/intake-limits.ts';
import type { AcceptedPhoto } from '../intake/verdicts.ts';
import type { RawImage } from '../tfjs/pixels.ts';

/**
 * How much an avatar still looks like its photo: the face-descriptor distance (below ~0.6, the
 * same person), or null when the avatar has no face where its photo's crop had one.
 *
 * img2img keeps the composition of the crop it starts from, so the face is looked for only there
 * (faces.ts `locate`, ~10 ms) instead of searched for over the whole avatar (~0.6 s on 2 cores,
 * taken from the UNet computing the next avatar). Describing the crop's box without looking
 * first was tried and dropped: it gave random noise a "good likeness".
 */
export async function likeness(
  faces: FaceDetector,
  avatar: RawImage,
  source: AcceptedPhoto,
): Promise<number | null> {
  const scale = avatar.width / INTAKE_LIMITS.cropSidePx;
  const { x, y, width, height } = source.cropFace;
  const face = await faces.locate(avatar, {
    x: x * scale,
    y: y * scale,
    width: width * scale,
    height: height * scale,
  });
  return face ? descriptorDistance(await faces.describe(avatar, face), source.descriptor) : null;
}
