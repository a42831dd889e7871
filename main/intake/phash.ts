/**
 * Perceptual hash (the DCT "pHash"): 64 bits that survive recompression, resizing and small
 * colour shifts, so a re-saved copy of a photo is recognised as the same upload.
 */
import sharp from 'sharp';
import type { RawImage } from '../tfjs/pixels.ts';

const SAMPLE = 32;
const KEEP = 8;

/** 16 hex digits. */
export async function perceptualHash(image: RawImage): Promise<string> {
  const grey = await sharp(image.data, {
    raw: { width: image.width, height: image.height, channels: 3 },
  })
    .greyscale()
    .resize(SAMPLE, SAMPLE, { fit: 'fill' })
    .raw()
    .toBuffer();
  const coefficients = lowFrequencies(grey);
  // The DC term only measures overall brightness, so it stays out of the median.
  const median = [...coefficients.slice(1)].sort((a, b) => a - b)[(coefficients.length - 1) >> 1]!;
  let hash = 0n;
  for (const c of coefficients) hash = (hash << 1n) | (c > median ? 1n : 0n);
  return hash.toString(16).padStart(16, '0');
}

export function hashDistance(a: string, b: string): number {
  let diff = BigInt(`0x${a}`) ^ BigInt(`0x${b}`);
  let bits = 0;
  for (; diff; diff &= diff - 1n) bits++;
  return bits;
}

/** The top-left KEEP×KEEP block of the 2-D DCT-II of a SAMPLE×SAMPLE image, row by row. */
function lowFrequencies(pixels: Uint8Array): number[] {
  const basis = Array.from({ length: KEEP }, (_, u) =>
    Array.from({ length: SAMPLE }, (_, x) => Math.cos(((2 * x + 1) * u * Math.PI) / (2 * SAMPLE))),
  );
  const out: number[] = [];
  for (let v = 0; v < KEEP; v++) {
    for (let u = 0; u < KEEP; u++) {
      let sum = 0;
      for (let y = 0; y < SAMPLE; y++) {
        for (let x = 0; x < SAMPLE; x++)
          sum += pixels[y * SAMPLE + x]! * basis[u]![x]! * basis[v]![y]!;
      }
      out.push(sum);
    }
  }
  return out;
}
