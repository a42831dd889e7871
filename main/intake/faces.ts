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
 *
 * An avatar is searched differently (`locate`): img2img keeps the composition of the crop it
 * starts from, so its face, if it kept one, is where the crop's was and about that size. A face
 * TinyFaceDetector finds there is enough, and cheap; measured on the 44 crops of e2e/photos as
 * avatar stand-ins, each box checked against the crop's own face box:
 *
 * | stand-in, 44 of each                  | face near the crop's: both SSD passes | `locate` |
 * |---------------------------------------|---------------------------------------|----------|
 * | the crop itself                       | 44                                    | 44       |
 * | blurred (sigma 3)                     | 38                                    | 44       |
 * | painterly (7 px median filter)        | 38                                    | 43       |
 * | hue +40°, saturation 1.8x             | 28                                    | 40       |
 * | tinted cyan                           | 20                                    | 37       |
 * | half as bright                        | 36                                    | 38       |
 * | greyscale                             | 37                                    | 39       |
 * | noise or a face-free photo (352 pairs)| 0                                     | 0        |
 * | median cost per 512 px image, 2 cores | 495 ms                                | 11 ms    |
 *
 * Tiny keys on skin tone (alone it found 13 of the recoloured and none of the tinted), so an
 * avatar where it finds nothing is searched again as grey; the box must sit where the crop's face
 * was and be about its size, which is what keeps noise and clutter out.
 */
import * as faceapi from '@vladmandic/face-api/dist/face-api.node-wasm.js';
import { createRequire } from 'node:module';
import path from 'node:path';
import sharp from 'sharp';
import { rgbTensor, type RawImage } from '../tfjs/pixels.ts';
import { initTfjs } from '../tfjs/wasm.ts';
import type { DetectedFace, FaceBox, FaceDetector } from './face-types.ts';

/** The two SSD passes: the photo as it is, then centred on a grey canvas `1 + 2 * pad` its size. */
const PASSES = [
  { pad: 0, minConfidence: 0.5 },
  { pad: 0.5, minConfidence: 0.35 },
] as const;

/** `locate`'s TinyFaceDetector: its smallest input fits a face filling half the image best. */
const LOCATE_OPTIONS = { inputSize: 128, scoreThreshold: 0.3 } as const;

/** How far `locate` lets a face stray from where it is expected, as parts of its size. */
const LOCATE_SLACK = { centre: 0.25, minScale: 0.6, maxScale: 1.6 } as const;

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
    faceapi.nets.tinyFaceDetector.loadFromDisk(modelDir),
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

    async locate(image, expected) {
      const nearest = async (pixels: RawImage): Promise<DetectedFace | null> => {
        const input = rgbTensor(tf, pixels);
        try {
          const detections = await faceapi.detectAllFaces(
            input as unknown as faceapi.TNetInput,
            new faceapi.TinyFaceDetectorOptions(LOCATE_OPTIONS),
          );
          const best = detections
            .filter(({ box }) => isNear(box, expected))
            .sort((a, b) => b.score - a.score)[0];
          if (!best) return null;
          const { x, y, width, height } = best.box;
          return { score: best.score, box: { x, y, width, height } };
        } finally {
          input.dispose();
        }
      };
      // The grey copy is made only when the colour pass found nothing.
      return (await nearest(image)) ?? nearest(grey(image));
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

/** Luminance (BT.601) in all three channels. */
function grey(image: RawImage): RawImage {
  const data = new Uint8Array(image.data.length);
  for (let i = 0; i < data.length; i += 3) {
    const y = 0.299 * image.data[i]! + 0.587 * image.data[i + 1]! + 0.114 * image.data[i + 2]!;
    data[i] = data[i + 1] = data[i + 2] = y;
  }
  return { data, width: image.width, height: image.height };
}

function isNear(box: FaceBox, expected: FaceBox): boolean {
  const scale = box.width / expected.width;
  const centre = (b: FaceBox) => [b.x + b.width / 2, b.y + b.height / 2] as const;
  const [bx, by] = centre(box);
  const [ex, ey] = centre(expected);
  return (
    scale >= LOCATE_SLACK.minScale &&
    scale <= LOCATE_SLACK.maxScale &&
    Math.abs(bx - ex) <= LOCATE_SLACK.centre * expected.width &&
    Math.abs(by - ey) <= LOCATE_SLACK.centre * expected.height
  );
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
