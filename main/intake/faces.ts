/**
 * Face detection and face descriptors: @vladmandic/face-api on the shared tfjs-wasm instance,
 * weights read from the package's own model/ folder.
 *
 * Detector choice, measured on real photos (crops of face-api's demo samples like e2e/photos;
 * the 110 face-free crops of arms, legs and clothes were a one-off, not committed). Cells count
 * photos where exactly one face, the right number of faces, or none was found:
 *
 * | detector (score threshold)              | 22 portraits | 22 close-ups | 6 groups, exact count | 110 no-face crops |
 * |-----------------------------------------|--------------|--------------|-----------------------|-------------------|
 * | TinyFaceDetector 416 (0.5)              | 16           | 8            | 3                     | 110               |
 * | TinyFaceDetector 224 (0.3)              | 22           | 15           | 0                     | 110               |
 * | SSD MobileNetV1 (0.5)                   | 20           | 15           | 6                     | 110               |
 * | SSD, photo on a 2x grey canvas (0.35)   | 22           | 22           | 5                     | 110               |
 * | both SSD passes, boxes merged (chosen)  | 22           | 22           | 6                     | 110               |
 *
 * SSD counts the faces in a group reliably but misses faces that fill the frame (a close
 * selfie); shrinking the photo onto a larger canvas restores those. Running both passes and
 * merging their boxes keeps the strengths of each. Cost on 2 cores: ~0.9 s to detect, ~0.1 s
 * for the descriptor.
 */
import * as faceapi from '@vladmandic/face-api/dist/face-api.node-wasm.js';
import { createRequire } from 'node:module';
import path from 'node:path';
import sharp from 'sharp';
import { rgbTensor, type RawImage } from '../tfjs/pixels.ts';
import { initTfjs } from '../tfjs/wasm.ts';

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
  /** The descriptor of one face found by `detect` in the same image. */
  describe(image: RawImage, face: DetectedFace): Promise<FaceDescriptor>;
}

/** The two SSD passes: the photo as it is, then centred on a grey canvas `1 + 2 * pad` its size. */
const PASSES = [
  { pad: 0, minConfidence: 0.5 },
  { pad: 0.5, minConfidence: 0.35 },
] as const;

/**
 * SSD looks at a 512 px square whatever it is given, so detecting on a copy at most this wide
 * loses nothing, and spares padding and resizing a 40 MP tensor (seconds on 2 cores).
 */
const DETECTION_MAX_SIDE = 1024;

/** Two boxes are the same face when they share more than this part of the smaller one. */
const SAME_FACE_OVERLAP = 0.5;

let loaded: Promise<FaceDetector> | undefined;

/** Loads the detector, landmark and recognition nets once per process. */
export function loadFaceDetector(): Promise<FaceDetector> {
  loaded ??= createFaceDetector();
  return loaded;
}

async function createFaceDetector(): Promise<FaceDetector> {
  const tf = await initTfjs();
  const modelDir = path.join(
    path.dirname(createRequire(import.meta.url).resolve('@vladmandic/face-api/package.json')),
    'model',
  );
  await Promise.all([
    faceapi.nets.ssdMobilenetv1.loadFromDisk(modelDir),
    faceapi.nets.faceLandmark68Net.loadFromDisk(modelDir),
    faceapi.nets.faceRecognitionNet.loadFromDisk(modelDir),
  ]);

  return {
    async detect(image) {
      const { small, scale } = await detectionCopy(image);
      const found: DetectedFace[] = [];
      for (const { pad, minConfidence } of PASSES) {
        const dx = Math.round(small.width * pad);
        const dy = Math.round(small.height * pad);
        const input = tf.tidy(() =>
          tf.pad(
            rgbTensor(tf, small),
            [
              [dy, dy],
              [dx, dx],
              [0, 0],
            ],
            128,
          ),
        );
        try {
          const detections = await faceapi.detectAllFaces(
            input as unknown as faceapi.TNetInput,
            new faceapi.SsdMobilenetv1Options({ minConfidence }),
          );
          for (const { score, box } of detections) {
            const { x, y, width, height } = box;
            found.push({
              score,
              box: {
                x: (x - dx) * scale,
                y: (y - dy) * scale,
                width: width * scale,
                height: height * scale,
              },
            });
          }
        } finally {
          input.dispose();
        }
      }
      return mergeSameFaces(found).sort((a, b) => area(b.box) - area(a.box));
    },

    async describe(image, face) {
      const { x, y, width, height } = face.box;
      const detection = new faceapi.FaceDetection(
        face.score,
        new faceapi.Rect(
          x / image.width,
          y / image.height,
          width / image.width,
          height / image.height,
        ),
        { width: image.width, height: image.height },
      );
      const input = rgbTensor(tf, image);
      try {
        // face-api's own chain (landmarks, then the descriptor of the aligned face), started
        // from our detection instead of its single-pass detector.
        const result = await new faceapi.DetectSingleFaceLandmarksTask(
          Promise.resolve({ detection }),
          input as unknown as faceapi.TNetInput,
          false,
        ).withFaceDescriptor();
        if (!result) throw new Error('face-api returned no descriptor for a detected face');
        return result.descriptor;
      } finally {
        input.dispose();
      }
    },
  };
}

/** The descriptor of the largest face in an image, or null when none is found. */
export async function faceDescriptor(
  detector: FaceDetector,
  image: Buffer | RawImage,
): Promise<FaceDescriptor | null> {
  const pixels = Buffer.isBuffer(image) ? await decodeUpright(image) : image;
  const [largest] = await detector.detect(pixels);
  return largest ? detector.describe(pixels, largest) : null;
}

/** Euclidean distance between two descriptors: below ~0.6 usually means the same person. */
export function descriptorDistance(a: FaceDescriptor, b: FaceDescriptor): number {
  return faceapi.euclideanDistance(a, b);
}

async function decodeUpright(bytes: Buffer): Promise<RawImage> {
  const { data, info } = await sharp(bytes)
    .autoOrient()
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** The image at most DETECTION_MAX_SIDE wide, and the factor back to its own pixels. */
async function detectionCopy(image: RawImage): Promise<{ small: RawImage; scale: number }> {
  const longest = Math.max(image.width, image.height);
  if (longest <= DETECTION_MAX_SIDE) return { small: image, scale: 1 };
  const { data, info } = await sharp(image.data, {
    raw: { width: image.width, height: image.height, channels: 3 },
  })
    .resize({
      width: image.width >= image.height ? DETECTION_MAX_SIDE : undefined,
      height: image.height > image.width ? DETECTION_MAX_SIDE : undefined,
    })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return {
    small: { data, width: info.width, height: info.height },
    scale: image.width / info.width,
  };
}

function mergeSameFaces(faces: DetectedFace[]): DetectedFace[] {
  const kept: DetectedFace[] = [];
  for (const face of [...faces].sort((a, b) => b.score - a.score)) {
    const shared = (other: DetectedFace) =>
      intersection(face.box, other.box) >
      SAME_FACE_OVERLAP * Math.min(area(face.box), area(other.box));
    if (!kept.some(shared)) kept.push(face);
  }
  return kept;
}

function area(box: FaceBox): number {
  return box.width * box.height;
}

function intersection(a: FaceBox, b: FaceBox): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return Math.max(0, w) * Math.max(0, h);
}
