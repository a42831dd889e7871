import sharp from 'sharp';
import type { RawImage } from '../tfjs/pixels.ts';
import type { FaceBox } from './face-types.ts';
import { INTAKE_LIMITS } from '../api/intake-limits.ts';

export interface FaceCrop {
  /** PNG of cropSidePx, written from raw pixels, so it carries no metadata. */
  readonly png: Buffer;
  /** The face box in the crop's own pixels. */
  readonly face: FaceBox;
}

/**
 * The photo the engine gets: a square centred on the face with room for hair and shoulders,
 * shifted (never padded) where the photo ends, resized to cropSidePx.
 */
export async function faceCrop(image: RawImage, face: FaceBox): Promise<FaceCrop> {
  const { cropSidePx, cropMarginFactor } = INTAKE_LIMITS;
  const side = Math.min(
    Math.round(cropMarginFactor * Math.max(face.width, face.height)),
    image.width,
    image.height,
  );
  const clamp = (start: number, extent: number) =>
    Math.round(Math.min(Math.max(start, 0), extent - side));
  const left = clamp(face.x + face.width / 2 - side / 2, image.width);
  const top = clamp(face.y + face.height / 2 - side / 2, image.height);
  const scale = cropSidePx / side;
  const png = await sharp(image.data, {
    raw: { width: image.width, height: image.height, channels: 3 },
  })
    .extract({ left, top, width: side, height: side })
    .resize(cropSidePx, cropSidePx)
    .png()
    .toBuffer();
  return {
    png,
    face: {
      x: (face.x - left) * scale,
      y: (face.y - top) * scale,
      width: face.width * scale,
      height: face.height * scale,
    },
  };
}
