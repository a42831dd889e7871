import type { RgbImage } from '../engine/image.ts';
import { descriptorDistance, type FaceDetector } from '../intake/faces.ts';
import { INTAKE_LIMITS } from '../intake/limits.ts';
import type { AcceptedPhoto } from '../intake/verdicts.ts';

/**
 * How much an avatar still looks like its photo: the face-descriptor distance (below ~0.6, the
 * same person). img2img keeps the composition of the crop it starts from, so the avatar's face is
 * where the crop's was, scaled to the avatar's size; describing it there skips the face search,
 * which costs ~0.6 s of ~0.65 s per 512 px avatar on 2 cores, competing with the UNet for them.
 * A style that moved or lost the face describes whatever is there and scores as unlike.
 */
export async function likeness(
  faces: FaceDetector,
  avatar: RgbImage,
  source: AcceptedPhoto,
): Promise<number> {
  const scale = avatar.width / INTAKE_LIMITS.cropSidePx;
  const { x, y, width, height } = source.cropFace;
  const descriptor = await faces.describe(avatar, {
    box: { x: x * scale, y: y * scale, width: width * scale, height: height * scale },
    score: source.face.score,
  });
  return descriptorDistance(descriptor, source.descriptor);
}
