/**
 * The NSFW classifier: nsfwjs on the shared tfjs-wasm instance. Its weights ship inside the npm
 * package, so nothing is downloaded; each model is loaded once per process and kept warm.
 */
import * as nsfwjs from 'nsfwjs';
import sharp from 'sharp';
import type { RawImage } from '../tfjs/pixels.ts';
import { initTfjs } from '../tfjs/wasm.ts';
import {
  MODERATION_POLICY,
  NSFW_CLASSES,
  type NsfwClass,
  type NsfwModelName,
  type NsfwScores,
} from './policy.ts';

/** Input side each model was trained at (nsfwjs stretches any image to this square). */
const INPUT_SIDE: Readonly<Record<NsfwModelName, number>> = {
  MobileNetV2: 224,
  MobileNetV2Mid: 224,
  InceptionV3: 299,
};

export interface Moderator {
  readonly model: NsfwModelName;
  /** Scores of the five classes (they sum to ~1) for an encoded image or decoded pixels. */
  classify(image: Buffer | RawImage): Promise<NsfwScores>;
}

const loaded = new Map<NsfwModelName, Promise<Moderator>>();

/** The policy's model unless told otherwise (scripts/calibrate-moderation.ts measures the others). */
export function loadModerator(opts: { model?: NsfwModelName } = {}): Promise<Moderator> {
  const model = opts.model ?? MODERATION_POLICY.model;
  let moderator = loaded.get(model);
  if (!moderator) {
    moderator = createModerator(model);
    loaded.set(model, moderator);
  }
  return moderator;
}

async function createModerator(model: NsfwModelName): Promise<Moderator> {
  const tf = await initTfjs();
  const net = await quietly(() => nsfwjs.load(model));
  const side = INPUT_SIDE[model];
  return {
    model,
    async classify(image) {
      const source = Buffer.isBuffer(image)
        ? sharp(image).autoOrient()
        : sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } });
      // Resize here (one libvips pass) rather than in tfjs: the model sees the same stretched
      // square either way, and a 40 MP photo never becomes a tensor.
      const pixels = await source
        .resize(side, side, { fit: 'fill' })
        .removeAlpha()
        .raw()
        .toBuffer();
      const input = tf.tensor3d(pixels, [side, side, 3], 'int32');
      try {
        const predictions = await net.classify(input, NSFW_CLASSES.length);
        const scores = Object.fromEntries(NSFW_CLASSES.map((c) => [c, 0])) as Record<
          NsfwClass,
          number
        >;
        for (const p of predictions) scores[p.className as NsfwClass] = p.probability;
        return scores;
      } finally {
        input.dispose();
      }
    },
  };
}

/**
 * nsfwjs announces on console.info, at every load by name, that the model could be hosted
 * elsewhere; the bundled weights are the point here, and the CLIs keep stdout for results.
 */
async function quietly<T>(load: () => Promise<T>): Promise<T> {
  const info = console.info;
  console.info = () => undefined;
  try {
    return await load();
  } finally {
    console.info = info;
  }
}
