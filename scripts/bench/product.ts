/**
 * Part 4, the product's own work around the diffusion, on the real portraits of e2e/photos: intake
 * per photo (decode, duplicate hash, content check, two face-detector passes, crop, descriptor),
 * and per avatar the PNG encode, the content check and the likeness score (a face located where
 * the photo's crop had it, then described). These are features, not engine overhead: reported
 * apart.
 */
import { loadImageTensor, rgbToPng, tensorToRgb } from '../../main/engine/image.ts';
import { loadFaceDetector } from '../../main/intake/faces.ts';
import { checkPhotos } from '../../main/intake/intake.ts';
import { photo } from '../../main/testing/photos.ts';
import { likeness } from '../../main/jobs/likeness.ts';
import { loadModerator } from '../../main/moderation/classifier.ts';
import { decide } from '../../main/moderation/policy.ts';
import { RUN_PHOTOS } from './avatar-run.ts';
import type { Row } from './report.ts';
import { summarize, timeMs, type Summary } from './stats.ts';

export interface ProductResult {
  loadMs: number;
  intakePerPhoto: Summary;
  pngPerAvatar: Summary;
  moderationPerAvatar: Summary;
  identityPerAvatar: Summary;
}

const AVATAR_SIZE = 512;

export async function measureProduct(reps: number): Promise<ProductResult> {
  let faces!: Awaited<ReturnType<typeof loadFaceDetector>>;
  let moderator!: Awaited<ReturnType<typeof loadModerator>>;
  const loadMs = await timeMs(async () => {
    [faces, moderator] = await Promise.all([loadFaceDetector(), loadModerator()]);
  });
  const photos = RUN_PHOTOS.map(photo);
  // The first call of each tfjs model compiles its kernels: this untimed intake warms them up.
  const { accepted } = await checkPhotos(photos, { faces, moderator });
  // Stand-ins for avatars: each photo's crop at the avatar's size, as the engine's pixels.
  const avatars = await Promise.all(
    accepted.map(async (p) =>
      tensorToRgb(await loadImageTensor(p.crop, AVATAR_SIZE, p.name), AVATAR_SIZE, AVATAR_SIZE),
    ),
  );
  await likeness(faces, avatars[0]!, accepted[0]!);

  const intake: number[] = [];
  const png: number[] = [];
  const moderation: number[] = [];
  const identity: number[] = [];
  for (let rep = 0; rep < reps; rep++) {
    for (const [i, p] of photos.entries()) {
      intake.push(await timeMs(() => checkPhotos([p], { faces, moderator })));
      const pixels = avatars[i]!;
      png.push(await timeMs(() => rgbToPng(pixels)));
      moderation.push(await timeMs(async () => decide(await moderator.classify(pixels), 'avatar')));
      identity.push(await timeMs(() => likeness(faces, pixels, accepted[i]!)));
    }
  }
  return {
    loadMs,
    intakePerPhoto: summarize(intake),
    pngPerAvatar: summarize(png),
    moderationPerAvatar: summarize(moderation),
    identityPerAvatar: summarize(identity),
  };
}

export function productRows(r: ProductResult): Row[] {
  const part = '4 product';
  return [
    {
      part,
      what: 'load face detector + NSFW classifier',
      summary: { median: r.loadMs, min: r.loadMs, max: r.loadMs, n: 1 },
      unit: 's',
      note: 'once per app start',
    },
    {
      part,
      what: 'intake per photo (checkPhotos)',
      summary: r.intakePerPhoto,
      unit: 's',
      note: 'not engine overhead',
    },
    {
      part,
      what: 'PNG encode per avatar (512)',
      summary: r.pngPerAvatar,
      unit: 's',
      note: 'overlaps the next UNet call',
    },
    {
      part,
      what: 'moderation per avatar (512)',
      summary: r.moderationPerAvatar,
      unit: 's',
      note: 'overlaps the next UNet call',
    },
    {
      part,
      what: 'likeness score per avatar (512)',
      summary: r.identityPerAvatar,
      unit: 's',
      note: 'overlaps the next UNet call',
    },
  ];
}
