/**
 * What the face detector finds and answers, apart from the detector itself: the main thread uses
 * these shapes and the distance between descriptors, while face-api and tfjs load only where the
 * detector runs (the vision thread, main/vision/).
 */
import type { RawImage } from '../tfjs/pixels.ts';

/** Pixels of the upright photo; may reach past its edges for a face cut by the frame. */
export interface FaceBox {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface DetectedFace {
  readonly box: FaceBox;
  /** SSD confidence of the pass that found it, 0..1. */
  readonly score: number;
}

/** face-api's 128-d face embedding; same person when the euclidean distance is below ~0.6. */
export type FaceDescriptor = Float32Array;

export interface FaceDetector {
  /** Every face in the photo, largest first. */
  detect(image: RawImage): Promise<DetectedFace[]>;
  /**
   * The face near `expected` (centre within a quarter of its size, width within 0.6-1.6x), or
   * null: a quick check for an image that should have a face just there (an avatar).
   */
  locate(image: RawImage, expected: FaceBox): Promise<DetectedFace | null>;
  /** The descriptor of one face found by `detect` or `locate` in the same image. */
  describe(image: RawImage, face: DetectedFace): Promise<FaceDescriptor>;
}

/** Euclidean distance between two descriptors: below ~0.6 usually means the same person. */
export function descriptorDistance(a: FaceDescriptor, b: FaceDescriptor): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(sum);
}
