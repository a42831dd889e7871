import type { DetectedFace, FaceBox } from '../intake/face-types.ts';
import type { RawImage } from '../tfjs/pixels.ts';

/** An image as it crosses to the vision thread: encoded bytes (a photo file) or decoded pixels. */
export type VisionImage = { readonly encoded: Uint8Array } | RawImage;

/** Messages from the vision client to its thread; `id` pairs each reply with its call. */
export type VisionRequest =
  | { id: number; op: 'load' }
  | { id: number; op: 'detect'; image: RawImage }
  | { id: number; op: 'locate'; image: RawImage; expected: FaceBox }
  | { id: number; op: 'describe'; image: RawImage; face: DetectedFace }
  | { id: number; op: 'classify'; image: VisionImage };

export type VisionReply = { id: number; value: unknown } | { id: number; error: string };
