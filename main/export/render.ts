/**
 * One avatar as a profile picture: square, resized, optionally cut to a circle, and encoded with
 * no metadata at all (sharp writes none unless told to keep it: no EXIF, GPS, ICC or XMP, and no
 * PNG text chunks).
 */
import sharp from 'sharp';
import type { ExportRequest } from '../api/contract.ts';

export type RenderOptions = Pick<ExportRequest, 'size' | 'format' | 'circle'>;

/** JPEG has no alpha: a circle's corners are white there, the usual page background. */
const JPEG_BACKGROUND = '#ffffff';

export async function renderAvatar(bytes: Buffer, options: RenderOptions): Promise<Buffer> {
  const { size, format, circle } = options;
  let image = sharp(bytes).resize(size, size, { fit: 'cover' });
  if (circle) {
    // A separate pass: sharp flattens before it composites, so the mask must be applied first.
    const masked = await image
      .ensureAlpha()
      .composite([{ input: circleMask(size), blend: 'dest-in' }])
      .raw()
      .toBuffer({ resolveWithObject: true });
    image = sharp(masked.data, { raw: masked.info });
  }
  switch (format) {
    case 'png':
      return image.png().toBuffer();
    case 'webp':
      return image.webp({ quality: 90 }).toBuffer();
    case 'jpeg':
      return image.flatten({ background: JPEG_BACKGROUND }).jpeg({ quality: 92 }).toBuffer();
  }
}

/** White disc on transparent: `dest-in` keeps the avatar where the disc is (edges anti-aliased). */
function circleMask(size: number): Buffer {
  const r = size / 2;
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}">` +
      `<circle cx="${r}" cy="${r}" r="${r}" fill="#fff"/></svg>`,
  );
}
