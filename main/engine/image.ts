import sharp from 'sharp';
import { EngineError } from './errors.ts';
import type { RawImage } from '../tfjs/pixels.ts';

/** diffusers' preprocessing, value by value: x = p / 255 in float32, then 2x − 1 in float32. */
const PIXEL_TO_UNIT: Float32Array = (() => {
  const table = new Float32Array(256);
  for (let p = 0; p < 256; p++) table[p] = 2 * Math.fround(p / 255) - 1;
  return table;
})();

/**
 * A photo as the VAE encoder's `sample`: NCHW [1, 3, size, size] float32 in [-1, 1].
 * The image is turned upright (EXIF orientation), alpha is flattened onto white, colour is
 * converted to sRGB, and it is resized to cover size×size and centre-cropped; an image already
 * size×size is used pixel for pixel, without resampling.
 * `name` labels a Buffer input in errors (defaults to the path for a string input).
 */
export async function loadImageTensor(
  input: string | Buffer,
  size: number,
  name?: string,
): Promise<Float32Array> {
  if (!Number.isSafeInteger(size) || size <= 0 || size % 8 !== 0) {
    // The VAE downsamples by 8; any other size cannot round-trip through the latents.
    throw new EngineError(
      'BAD_ARGUMENT',
      `image size must be a positive multiple of 8, not ${size}`,
    );
  }
  const label = name ?? (typeof input === 'string' ? input : 'the image data');
  let rgb: Buffer;
  try {
    // 'error' refuses truncated or corrupt pixel data but tolerates the harmless warnings that
    // camera JPEGs often raise (sharp's stricter default would refuse many real photos).
    const { autoOrient } = await sharp(input, { failOn: 'error' }).metadata();
    let image = sharp(input, { failOn: 'error' })
      .autoOrient()
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb');
    if (autoOrient.width !== size || autoOrient.height !== size) {
      image = image.resize(size, size, { fit: 'cover', position: 'centre' });
    }
    const { data, info } = await image
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.width !== size || info.height !== size || info.channels !== 3) {
      throw new Error(
        `decoded to ${info.width}×${info.height}×${info.channels}, expected ${size}×${size}×3`,
      );
    }
    rgb = data;
  } catch (error) {
    throw new EngineError(
      'IMAGE_UNREADABLE',
      `cannot read ${label} as an image: ${(error as Error).message}`,
      label,
    );
  }
  const plane = size * size;
  const tensor = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    tensor[i] = PIXEL_TO_UNIT[rgb[3 * i]!]!;
    tensor[plane + i] = PIXEL_TO_UNIT[rgb[3 * i + 1]!]!;
    tensor[2 * plane + i] = PIXEL_TO_UNIT[rgb[3 * i + 2]!]!;
  }
  return tensor;
}

/**
 * The VAE decoder's `sample` (NCHW [1, 3, height, width] in [-1, 1]) as 8-bit RGB pixels, as
 * diffusers computes them in float32: round(clip(x/2 + 0.5, 0, 1) · 255), rounding halves to
 * even as numpy does; NaN becomes 0, as numpy's cast to uint8 gives it. Moderation and likeness
 * read these pixels directly rather than decoding the PNG again.
 */
export function tensorToRgb(data: Float32Array, width: number, height: number): RawImage {
  if (!Number.isSafeInteger(width) || !Number.isSafeInteger(height) || width <= 0 || height <= 0) {
    throw new EngineError(
      'BAD_ARGUMENT',
      `image size must be positive integers, not ${width}×${height}`,
    );
  }
  const plane = width * height;
  if (data.length !== 3 * plane) {
    throw new EngineError(
      'BAD_ARGUMENT',
      `a ${width}×${height} RGB tensor has ${3 * plane} values, not ${data.length}`,
    );
  }
  const rgb = Buffer.alloc(3 * plane);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) rgb[3 * i + c] = toByte(data[c * plane + i]!);
  }
  return { data: rgb, width, height };
}

/** RGB pixels as a PNG with no metadata. Same pixels, same bytes. */
export async function rgbToPng({ data, width, height }: RawImage): Promise<Buffer> {
  const encoded = await sharp(data, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
  return withoutAncillaryChunks(encoded);
}

/** The decoder's `sample` as a PNG: tensorToRgb, then rgbToPng. */
export async function tensorToPng(
  data: Float32Array,
  width: number,
  height: number,
): Promise<Buffer> {
  return rgbToPng(tensorToRgb(data, width, height));
}

/**
 * libvips always writes a pHYs (resolution) chunk. Ancillary chunks, those whose type starts with
 * a lower-case letter (pHYs, tEXt, tIME, iCCP, gAMA...), are metadata by the PNG spec's own
 * definition, so all are dropped; each chunk carries its own CRC, so the rest stays valid.
 */
function withoutAncillaryChunks(png: Buffer): Buffer {
  const SIGNATURE_BYTES = 8;
  const kept: Buffer[] = [png.subarray(0, SIGNATURE_BYTES)];
  for (let at = SIGNATURE_BYTES; at < png.length;) {
    // length (4) + type (4) + data + CRC (4)
    const end = at + 12 + png.readUInt32BE(at);
    const ancillary = (png[at + 4]! & 0x20) !== 0;
    if (!ancillary) kept.push(png.subarray(at, end));
    at = end;
  }
  return Buffer.concat(kept);
}

function toByte(x: number): number {
  const unit = Math.min(Math.max(Math.fround(x / 2 + 0.5), 0), 1);
  const scaled = Math.fround(unit * 255);
  const rounded = Math.round(scaled);
  // Math.round sends halves up; numpy's round sends them to the even neighbour.
  return rounded - scaled === 0.5 && rounded % 2 === 1 ? rounded - 1 : rounded;
}
