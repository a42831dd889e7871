import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import { INTAKE_LIMITS } from '../api/intake-limits.ts';
import { hashDistance, perceptualHash } from './phash.ts';
import { photo } from '../testing/photos.ts';

async function hashOf(bytes: Buffer): Promise<string> {
  const { data, info } = await sharp(bytes)
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return perceptualHash({ data, width: info.width, height: info.height });
}

test('re-saved, resized and brightened copies of a real photo hash as duplicates', async () => {
  const original = photo('portraits/sample2-face3.jpg').bytes;
  const hash = await hashOf(original);
  assert.match(hash, /^[0-9a-f]{16}$/);
  const copies = [
    await sharp(original).resize(300).jpeg({ quality: 60 }).toBuffer(),
    await sharp(original).webp({ quality: 70 }).toBuffer(),
    await sharp(original).modulate({ brightness: 1.1 }).png().toBuffer(),
  ];
  for (const copy of copies) {
    assert.ok(hashDistance(hash, await hashOf(copy)) <= INTAKE_LIMITS.duplicateMaxBits);
  }
});

test('different photos from the same shoot, and a closer crop, are not duplicates', async () => {
  const hash = await hashOf(photo('portraits/sample2-face3.jpg').bytes);
  for (const other of [
    'portraits/sample2-face1.jpg',
    'portraits/sample2-face2.jpg',
    'close/sample2-face3.jpg',
  ]) {
    assert.ok(
      hashDistance(hash, await hashOf(photo(other).bytes)) > INTAKE_LIMITS.duplicateMaxBits,
      other,
    );
  }
});

test('hashDistance counts differing bits', () => {
  assert.equal(hashDistance('0000000000000000', 'ffffffffffffffff'), 64);
  assert.equal(hashDistance('00000000000000f0', '0000000000000010'), 3);
});
