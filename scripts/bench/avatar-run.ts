/**
 * The engine's share of a 30-avatar run, made the way runAvatars makes it: the same plan (5
 * styles × 3 photos), the same per-family style settings, one img2img call after another with
 * progress reported. Intake, moderation and identity are the product's own work and are measured
 * apart (product.ts).
 */
import { readFileSync } from 'node:fs';
import { sharedFloat32 } from '../../main/engine/arrays.ts';
import type { EngineApi } from '../../main/engine/engine.ts';
import { loadImageTensor } from '../../main/engine/image.ts';
import type { Img2ImgRequest, ModelFamily } from '../../main/engine/types.ts';
import { PHOTOS_DIR } from '../../main/testing/photos.ts';
import { MAX_AVATARS, planAvatars } from '../../main/jobs/plan.ts';
import { loadStyleCatalog, pickStyles, styleSettings } from '../../main/styles/catalog.ts';

export const RUN_STYLES = ['anime', 'watercolour', 'pixel-art', 'pencil-sketch', 'clay'];
export const RUN_PHOTOS = [
  'portraits/sample1-face1.jpg',
  'portraits/sample2-face2.jpg',
  'portraits/sample3-face1.jpg',
];

/** Photos as the engine takes them: [1,3,size,size] in [-1,1]. */
export function photoTensors(size: number, names = RUN_PHOTOS): Promise<Float32Array[]> {
  return Promise.all(
    names.map((name) => loadImageTensor(readFileSync(`${PHOTOS_DIR}/${name}`), size, name)),
  );
}

/**
 * The img2img requests of one run. `fresh` makes this run's prompts and photos new to the
 * engine's caches (a trailing space the tokenizer drops; a new image key), so every repetition
 * pays its text and image encodes as a user's first run does, without reloading.
 */
export async function avatarRunRequests(
  family: ModelFamily,
  photos: readonly Float32Array[],
  size: number,
  fresh = 0,
): Promise<Img2ImgRequest[]> {
  const styles = pickStyles(await loadStyleCatalog(), RUN_STYLES);
  // Shared memory and keyed, as runAvatars holds its photos for the engine's worker.
  const images = photos.map(sharedFloat32);
  const plan = planAvatars(RUN_STYLES, images.length, MAX_AVATARS, 1);
  return plan.map((planned) => {
    const settings = styleSettings(
      styles.find((s) => s.id === planned.styleId)!,
      family,
    );
    return {
      ...settings,
      prompt: settings.prompt + ' '.repeat(fresh),
      negativePrompt: settings.negativePrompt + ' '.repeat(fresh),
      image: images[planned.photo]!,
      imageKey: `${fresh}/${planned.photo}`,
      size,
      seed: planned.seed,
    };
  });
}

/** One run's img2img calls, in order, with progress on as runAvatars asks for it. */
export async function runRequests(
  engine: EngineApi,
  requests: readonly Img2ImgRequest[],
): Promise<void> {
  for (const request of requests) await engine.img2img(request, { onProgress: () => undefined });
}
