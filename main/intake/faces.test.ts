import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import sharp from 'sharp';
import type { RawImage } from '../tfjs/pixels.ts';
import { faceCrop } from './crop.ts';
import { descriptorDistance, type FaceDetector } from './face-types.ts';
import { loadFaceDetector } from './faces.ts';
import { INTAKE_LIMITS } from '../api/intake-limits.ts';
import { photo, photosIn } from '../testing/photos.ts';

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

/** The descriptor of the largest face in a committed photo. */
async function descriptorOf(name: string): Promise<Float32Array> {
  const image = await pixels(photo(name).bytes);
  const [largest] = await detector.detect(image);
  assert.ok(largest, `${name}: a face`);
  return detector.describe(image, largest);
}

test('descriptors: the same face in two crops is near, different people are far', async () => {
  const portrait = await descriptorOf('portraits/sample1-face1.jpg');
  const closeUp = await descriptorOf('close/sample1-face1.jpg');
  const someoneElse = await descriptorOf('portraits/sample4-face3.jpg');
  assert.equal(portrait.length, 128);
  assert.ok(descriptorDistance(portrait, closeUp) < INTAKE_LIMITS.samePersonMaxDistance);
  assert.ok(descriptorDistance(portrait, someoneElse) > INTAKE_LIMITS.samePersonMaxDistance);
});

test("locate finds a crop's face only where it is expected, and at about its size", async () => {
  const photoPixels = await pixels(photo('portraits/sample1-face1.jpg').bytes);
  const [face] = await detector.detect(photoPixels);
  assert.ok(face);
  const crop = await faceCrop(photoPixels, face.box);
  const image = await pixels(crop.png);
  const found = await detector.locate(image, crop.face);
  assert.ok(found, 'found where the full search put it');
  assert.ok(Math.abs(found.box.x - crop.face.x) < crop.face.width / 4);
  const { x, y, width, height } = crop.face;
  const elsewhere = [
    { x: x + width, y, width, height },
    { x, y: y + height, width, height },
    { x: x - width, y: y - height, width: width * 3, height: height * 3 },
    { x: x + width / 4, y: y + height / 4, width: width / 2, height: height / 2 },
  ];
  for (const box of elsewhere)
    assert.equal(await detector.locate(image, box), null, JSON.stringify(box));
});
