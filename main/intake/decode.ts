/**
 * Reading one upload: the size and format rules that need no model, then the upright RGB
 * pixels. EXIF orientation is applied here; every later step (and everything kept) works from
 * these raw pixels, so no metadata, GPS included, survives intake.
 */
import sharp, { type Metadata } from 'sharp';
import type { RawImage } from '../tfjs/pixels.ts';
import { INTAKE_LIMITS } from './limits.ts';
import type { IntakeCode } from './verdicts.ts';

export type DecodeResult =
  | { readonly ok: true; readonly image: RawImage }
  | {
      readonly ok: false;
      readonly code: Extract<IntakeCode, 'UNREADABLE' | 'NOT_AN_IMAGE' | 'TOO_SMALL' | 'TOO_LARGE'>;
      readonly message: string;
    };

const FORMAT_LIST = 'JPEG, PNG, WebP, AVIF, TIFF or GIF';

export async function decodePhoto(name: string, bytes: Buffer): Promise<DecodeResult> {
  const { maxBytes, maxPixels, minSidePx, formats } = INTAKE_LIMITS;
  if (bytes.length === 0) return refuse('UNREADABLE', `"${name}" is an empty file.`);
  if (bytes.length > maxBytes) {
    return refuse(
      'TOO_LARGE',
      `"${name}" is ${megabytes(bytes.length)} MB; photos can be at most ${megabytes(maxBytes)} MB.`,
    );
  }

  let meta: Metadata;
  try {
    // The header alone, so no pixel limit: a decompression bomb then gets our size check (too
    // large, in megapixels) instead of sharp's refusal, which reads like a damaged file.
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch {
    return hasImageSignature(bytes)
      ? refuse('UNREADABLE', `"${name}" could not be read: the file is damaged or incomplete.`)
      : refuse('NOT_AN_IMAGE', `"${name}" is not an image. Add a ${FORMAT_LIST} photo.`);
  }
  const accepted =
    (formats as readonly string[]).includes(meta.format) &&
    (meta.format !== 'heif' || meta.compression === 'av1');
  if (!accepted) {
    const kind = meta.format === 'heif' ? 'HEIC' : meta.format.toUpperCase();
    return refuse(
      'NOT_AN_IMAGE',
      `"${name}" is a ${kind} file, which cannot be used. Add a ${FORMAT_LIST} photo.`,
    );
  }

  // metadata() reports the first frame of an animation, which is the one we decode.
  const { width, height } = meta;
  if (width * height > maxPixels) {
    return refuse(
      'TOO_LARGE',
      `"${name}" is ${((width * height) / 1e6).toFixed(1)} megapixels; photos can be at most ${maxPixels / 1e6}.`,
    );
  }
  if (Math.min(width, height) < minSidePx) {
    return refuse(
      'TOO_SMALL',
      `"${name}" is ${width}×${height} pixels; its shorter side must be at least ${minSidePx}.`,
    );
  }

  try {
    // failOn 'error': a truncated or corrupt file fails, a harmless encoder warning does not.
    const { data, info } = await sharp(bytes, { failOn: 'error', limitInputPixels: maxPixels })
      .autoOrient()
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { ok: true, image: { data, width: info.width, height: info.height } };
  } catch {
    return refuse('UNREADABLE', `"${name}" could not be read: the file is damaged or incomplete.`);
  }
}

function refuse(code: Extract<DecodeResult, { ok: false }>['code'], message: string): DecodeResult {
  return { ok: false, code, message };
}

function megabytes(bytes: number): string {
  return (bytes / 1e6).toFixed(bytes < 1e7 ? 1 : 0);
}

/** True when the bytes start like one of the accepted formats, so a decode failure means damage. */
function hasImageSignature(bytes: Buffer): boolean {
  const ascii = (from: number, to: number) => bytes.subarray(from, to).toString('latin1');
  return (
    (bytes[0] === 0xff && bytes[1] === 0xd8) || // JPEG
    ascii(1, 4) === 'PNG' ||
    ascii(0, 4) === 'GIF8' ||
    (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') ||
    ascii(0, 4) === 'II*\0' ||
    ascii(0, 4) === 'MM\0*' ||
    ascii(4, 8) === 'ftyp' // AVIF / HEIF container
  );
}
