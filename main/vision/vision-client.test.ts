import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import { descriptorDistance } from '../intake/face-types.ts';
import { photo } from '../testing/photos.ts';
import { MODERATION_POLICY, NSFW_CLASSES, decide } from '../moderation/policy.ts';
import type { RawImage } from '../tfjs/pixels.ts';
import { loadVision } from './vision-client.ts';

async function pixels(name: string): Promise<RawImage> {
  const { data, info } = await sharp(photo(name).bytes)
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

const PORTRAIT = 'portraits/sample1-face1.jpg';
const GROUP = 'groups/sample1.jpg';

// tfjs-core's engine is a global it creates as it loads: its absence here is the proof that the
// models run in the vision thread, not in the thread a host answers requests on.
const tfjsLoadedHere = () => '_tfengine' in globalThis;

test('loading twice gives the one thread, with the policy model', async () => {
  const vision = await loadVision();
  assert.equal(await loadVision(), vision);
  assert.equal(vision.moderator.model, MODERATION_POLICY.model);
});

test('faces, descriptors and content scores come from the thread; tfjs never loads here', async () => {
  const { faces, moderator } = await loadVision();
  const portrait = await pixels(PORTRAIT);
  const [face, ...others] = await faces.detect(portrait);
  assert.ok(face, 'one face in the portrait');
  assert.deepEqual(others, []);
  assert.equal((await faces.detect(await pixels(GROUP))).length, 3);

  const descriptor = await faces.describe(portrait, face);
  assert.ok(descriptor instanceof Float32Array);
  assert.equal(descriptor.length, 128);
  const located = await faces.locate(portrait, face.box);
  assert.ok(located, 'found again where it was');
  const again = await faces.describe(portrait, located);
  assert.ok(descriptorDistance(descriptor, again) < 0.2, 'the same face');

  // A Buffer is read as a file, pixels as pixels: both paths score the same photo alike.
  const fromFile = await moderator.classify(photo(PORTRAIT).bytes);
  const fromPixels = await moderator.classify(portrait);
  assert.equal(decide(fromFile, 'upload').allowed, true);
  for (const c of NSFW_CLASSES) assert.ok(Math.abs(fromPixels[c] - fromFile[c]) < 1e-4, c);

  assert.equal(tfjsLoadedHere(), false);
});

test('a file the classifier cannot read rejects with the reason, and the thread goes on', async () => {
  const { faces, moderator } = await loadVision();
  await assert.rejects(
    moderator.classify(Buffer.from('not an image at all')),
    /unsupported image format/,
  );
  assert.equal((await faces.detect(await pixels(PORTRAIT))).length, 1);
});
