/**
 * Reading one upload: the size and format rules that need no model, then the upright RGB
 * pixels. EXIF orientation is applied here (a HEIC's irot and imir by libheif, see heic.ts);
 * every later step (and everything kept) works from these raw pixels, so no metadata, GPS
 * included, survives intake.
 */
import sharp, { type Metadata, type Sharp } from 'sharp';
import type { RawImage } from '../tfjs/pixels.ts';
import { decodeHeic } from './heic.ts';
import { INTAKE_LIMITS, type PhotoFormat } from '../api/intake-limits.ts';
import type { IntakeCode } from './verdicts.ts';

export type DecodeResult =
  | {
      readonly ok: true;
      readonly image: RawImage;
      /** A JPEG of the upright photo when the page cannot show the file itself (HEIC, TIFF). */
      readonly preview?: Buffer;
    }
  | {
      readonly ok: false;
      readonly code: Extract<IntakeCode, 'UNREADABLE' | 'NOT_AN_IMAGE' | 'TOO_SMALL' | 'TOO_LARGE'>;
      readonly message: string;
    };

const FORMAT_LIST = 'JPEG, PNG, WebP, HEIC, AVIF, TIFF or GIF';
/** What Chromium (the page, in Electron or a browser) displays from the file as it is. */
const PAGE_SHOWS: readonly PhotoFormat[] = ['jpeg', 'png', 'webp', 'avif', 'gif'];
/** The preview's shorter side: the page shows it as a square thumbnail (object-fit: cover). */
const PREVIEW_SIDE_PX = 384;

export async function decodePhoto(name: string, bytes: Buffer): Promise<DecodeResult> {
  const { maxBytes, maxPixels } = INTAKE_LIMITS;
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
      ? damaged(name)
      : refuse('NOT_AN_IMAGE', `"${name}" is not an image. Add a ${FORMAT_LIST} photo.`);
  }
  const format = photoFormat(meta);
  if (!isPhotoFormat(format)) {
    const kind = meta.format === 'heif' ? 'HEIF' : meta.format.toUpperCase();
    return refuse(
      'NOT_AN_IMAGE',
      `"${name}" is a ${kind} file, which cannot be used. Add a ${FORMAT_LIST} photo.`,
    );
  }

  // metadata() reports the first frame of an animation, which is the one we decode, and a
  // HEIF file's primary image as it is shown (after its rotation).
  const refusal = sizeRefusal(name, meta.width, meta.height);
  if (refusal) return refusal;

  try {
    let input: Sharp;
    if (format === 'heic') {
      const heic = await decodeHeic(bytes, meta.pagePrimary ?? 0, maxPixels);
      // The decoder checks its own idea of the size before it allocates anything.
      if (!heic.data) return sizeRefusal(name, heic.width, heic.height) ?? damaged(name);
      input = sharp(heic.data, { raw: { width: heic.width, height: heic.height, channels: 4 } });
    } else {
      // failOn 'error': a truncated or corrupt file fails, a harmless encoder warning does not.
      input = sharp(bytes, { failOn: 'error', limitInputPixels: maxPixels });
    }
    const { data, info } = await input
      .autoOrient()
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    const image = { data, width: info.width, height: info.height };
    if (PAGE_SHOWS.includes(format)) return { ok: true, image };
    return { ok: true, image, preview: await previewJpeg(image) };
  } catch {
    return damaged(name);
  }
}

/** HEIF by its codec: sharp decodes AV1 (AVIF) itself, HEVC (HEIC) goes to libheif in wasm. */
function photoFormat(meta: Metadata): string {
  if (meta.format !== 'heif') return meta.format;
  return meta.compression === 'av1' ? 'avif' : meta.compression === 'hevc' ? 'heic' : 'heif';
}

function isPhotoFormat(format: string): format is PhotoFormat {
  return (INTAKE_LIMITS.formats as readonly string[]).includes(format);
}

function sizeRefusal(name: string, width: number, height: number): DecodeResult | undefined {
  const { maxPixels, minSidePx } = INTAKE_LIMITS;
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
  return undefined;
}

function previewJpeg(image: RawImage): Promise<Buffer> {
  const { data, width, height } = image;
  return sharp(data, { raw: { width, height, channels: 3 } })
    .resize(PREVIEW_SIDE_PX, PREVIEW_SIDE_PX, { fit: 'outside', withoutEnlargement: true })
    .jpeg({ quality: 80 })
    .toBuffer();
}

function damaged(name: string): DecodeResult {
  return refuse('UNREADABLE', `"${name}" could not be read: the file is damaged or incomplete.`);
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
    ascii(4, 8) === 'ftyp' // HEIF container: HEIC, AVIF
  );
}
