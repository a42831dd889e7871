import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import sharp from 'sharp';
import type { RawImage } from '../tfjs/pixels.ts';
import {
  descriptorDistance,
  faceDescriptor,
  loadFaceDetector,
  type FaceDetector,
} from './faces.ts';
import { INTAKE_LIMITS } from './limits.ts';
import { photo, photosIn } from './test-photos.ts';

let detector: FaceDetector;
before(async () => {
  detector = await loadFaceDetector();
});

async function pixels(bytes: Buffer): Promise<RawImage> {
  const { data, info } = await sharp(bytes)
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

test('exactly one face in each of 22 real portraits and 22 close-ups (ordinary selfies pass)', async () => {
  const selfies = [...photosIn('portraits'), ...photosIn('close')];
  assert.equal(selfies.length, 44);
  for (const { name, bytes } of selfies) {
    const faces = await detector.detect(await pixels(bytes));
    assert.equal(faces.length, 1, `${name}: ${faces.length} faces`);
  }
});

test('every face of a group photo is counted', async () => {
  assert.equal((await detector.detect(await pixels(photo('groups/sample1.jpg').bytes))).length, 3);
  assert.equal((await detector.detect(await pixels(photo('groups/sample5.jpg').bytes))).length, 5);
});

test('no face is found in photos of arms, legs, clothes and a wall', async () => {
  for (const { name, bytes } of photosIn('no-face')) {
    assert.deepEqual(await detector.detect(await pixels(bytes)), [], name);
  }
});

test('descriptors: the same face in two crops is near, different people are far, no face is null', async () => {
  const portrait = await faceDescriptor(detector, photo('portraits/sample1-face1.jpg').bytes);
  const closeUp = await faceDescriptor(detector, photo('close/sample1-face1.jpg').bytes);
  const someoneElse = await faceDescriptor(detector, photo('portraits/sample4-face3.jpg').bytes);
  assert.ok(portrait && closeUp && someoneElse);
  assert.equal(portrait.length, 128);
  assert.ok(descriptorDistance(portrait, closeUp) < INTAKE_LIMITS.samePersonMaxDistance);
  assert.ok(descriptorDistance(portrait, someoneElse) > INTAKE_LIMITS.samePersonMaxDistance);
  assert.equal(await faceDescriptor(detector, photo('no-face/room-background.jpg').bytes), null);
});
