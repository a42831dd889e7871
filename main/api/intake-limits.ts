/** Every rule intake decides by, in one place; the issue fixes the first six. */
export const INTAKE_LIMITS = {
  minPhotos: 3,
  maxPhotos: 10,
  /** Shortest side of the upright photo, pixels. */
  minSidePx: 256,
  maxPixels: 40_000_000,
  maxBytes: 30_000_000,
  /**
   * Formats users may add: sharp's names, except HEIF by its codec ('avif' is AV1, which sharp
   * decodes; 'heic' is HEVC, decoded by libheif in WebAssembly). Everything else that sharp can
   * read (SVG, PDF, JPEG 2000, HEIF with other codecs...) is refused as not a photo.
   */
  formats: ['jpeg', 'png', 'webp', 'heic', 'avif', 'tiff', 'gif'],
  /** Width of the face box: below this the engine would mostly be upscaling blur. */
  minFaceWidthPx: 96,
  /** The kept photo: a square this many pixels wide, centred on the face... */
  cropSidePx: 512,
  /** ...whose side is this many times the face box's larger side (less where the photo ends). */
  cropMarginFactor: 2.2,
  /**
   * Perceptual hashes (64 bits) at most this many bits apart are the same photo. Measured on
   * the 22 portraits of e2e/photos: recompressed, resized, re-encoded or brightened copies 0-4
   * bits apart; different faces from the same shoot 20 or more; a closer crop of the same
   * photo 24 or more (a different picture for the engine, so not a duplicate).
   */
  duplicateMaxBits: 8,
  /**
   * A photo whose median descriptor distance to the others exceeds this seems to show someone
   * else; 0.6 is face-api's (and dlib's) same-person threshold. On e2e/photos: the same face
   * in two crops 0.08-0.52 apart; 214 of 231 pairs of different women above 0.6 (closest 0.45),
   * which is why this only warns.
   */
  samePersonMaxDistance: 0.6,
} as const;

export type PhotoFormat = (typeof INTAKE_LIMITS.formats)[number];
