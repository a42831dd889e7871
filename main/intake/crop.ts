import sharp from 'sharp';
import type { RawImage } from '../tfjs/pixels.ts';
import type { FaceBox } from './faces.ts';
import { INTAKE_LIMITS } from './limits.ts';

/**
 * The photo the engine gets: a square centred on the face with room for hair and shoulders,
 * shifted (never padded) where the photo ends, as a PNG of cropSidePx. Written from raw pixels,
 * so it carries no metadata.
 */
export async function faceCrop(image: RawImage, face: FaceBox): Promise<Buffer> {
  const { cropSidePx, cropMarginFactor } = INTAKE_LIMITS;
  const side = Math.min(
    Math.round(cropMarginFactor * Math.max(face.width, face.height)),
    image.width,
    image.height,
  );
  const clamp = (start: number, extent: number) =>
    Math.round(Math.min(Math.max(start, 0), extent - side));
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .extract({
      left: clamp(face.x + face.width / 2 - side / 2, image.width),
      top: clamp(face.y + face.height / 2 - side / 2, image.height),
      width: side,
      height: side,
    })
    .resize(cropSidePx, cropSidePx)
    .png()
    .toBuffer();
}
