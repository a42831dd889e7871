import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import sharp from 'sharp';
import { loadImageTensor, tensorToRgb, type RgbImage } from '../engine/image.ts';
import {
  descriptorDistance,
  faceDescriptor,
  loadFaceDetector,
  type FaceDetector,
} from '../intake/faces.ts';
import { checkPhotos } from '../intake/intake.ts';
import { INTAKE_LIMITS } from '../intake/limits.ts';
import { photo } from '../intake/test-photos.ts';
import type { AcceptedPhoto } from '../intake/verdicts.ts';
import { loadModerator } from '../moderation/classifier.ts';
import { likeness } from './likeness.ts';

const SAME = INTAKE_LIMITS.samePersonMaxDistance;
let faces: FaceDetector;
let accepted: AcceptedPhoto[];

before(async () => {
  const [detector, moderator] = await Promise.all([loadFaceDetector(), loadModerator()]);
  faces = detector;
  const names = [
    'portraits/sample1-face1.jpg',
    'close/sample1-face1.jpg',
    'portraits/sample4-face3.jpg',
    'close/sample3-face2.jpg',
  ];
  accepted = [...(await checkPhotos(names.map(photo), { faces, moderator })).accepted];
  assert.equal(accepted.length, names.length);
});

/** A perfect avatar: the crop as the engine reads it and writes it back, at the avatar's size. */
async function faithful(source: AcceptedPhoto, size: number): Promise<RgbImage> {
  return tensorToRgb(await loadImageTensor(source.crop, size), size, size);
}

/** The worst avatar: someone else's face, scaled and moved to exactly where `source`'s was. */
async function impostor(someoneElse: AcceptedPhoto, source: AcceptedPhoto): Promise<RgbImage> {
  const side = INTAKE_LIMITS.cropSidePx;
  const { data } = await sharp(someoneElse.crop).removeAlpha().raw().toBuffer({
    resolveWithObject: true,
  });
  const from = someoneElse.cropFace;
  const to = source.cropFace;
  const scale = to.width / from.width;
  const out = Buffer.alloc(side * side * 3, 128);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const sx = Math.round(from.x + (x - to.x) / scale);
      const sy = Math.round(from.y + (y - to.y) / scale);
      if (sx < 0 || sy < 0 || sx >= side || sy >= side) continue;
      data.copy(out, (y * side + x) * 3, (sy * side + sx) * 3, (sy * side + sx) * 3 + 3);
    }
  }
  return { data: out, width: side, height: side };
}

test('a faithful avatar is near its photo at any avatar size', async () => {
  for (const source of accepted) {
    for (const size of [256, 512, 768]) {
      const distance = await likeness(faces, await faithful(source, size), source);
      assert.ok(distance < 0.2, `${source.name} at ${size}px: ${distance.toFixed(3)}`);
    }
  }
});

test("someone else's face where the photo's was scores as unlike", async () => {
  for (const [someoneElse, source] of [
    [accepted[2]!, accepted[0]!],
    [accepted[3]!, accepted[1]!],
    [accepted[0]!, accepted[3]!],
  ] as const) {
    const distance = await likeness(faces, await impostor(someoneElse, source), source);
    assert.ok(distance > SAME, `${someoneElse.name} as ${source.name}: ${distance.toFixed(3)}`);
  }
});

test('agrees with a full face search on the avatar, which it skips', async () => {
  const cases = [
    [await faithful(accepted[0]!, 512), accepted[0]!],
    [await faithful(accepted[3]!, 512), accepted[3]!],
    [await impostor(accepted[2]!, accepted[0]!), accepted[0]!],
  ] as const;
  for (const [avatar, source] of cases) {
    const png = await sharp(avatar.data, { raw: { width: 512, height: 512, channels: 3 } })
      .png()
      .toBuffer();
    const searched = await faceDescriptor(faces, png);
    assert.ok(searched, `${source.name}: a face is found`);
    const byBox = await likeness(faces, avatar, source);
    const bySearch = descriptorDistance(searched, source.descriptor);
    assert.ok(Math.abs(byBox - bySearch) < 0.15, `${byBox.toFixed(3)} vs ${bySearch.toFixed(3)}`);
  }
});
