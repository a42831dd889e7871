import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import sharp from 'sharp';
import { loadModerator } from '../moderation/classifier.ts';
import { decodePhoto } from './decode.ts';
import { loadFaceDetector } from './faces.ts';
import { decodeHeic } from './heic.ts';
import { checkPhotos, type IntakeDeps } from './intake.ts';
import { INTAKE_LIMITS } from '../api/intake-limits.ts';
import { hashDistance, perceptualHash } from './phash.ts';
import { photo } from '../testing/photos.ts';

// e2e/photos/heic/README.md: heif-enc (x265) made it from the JPEG beside it in portraits/.
const HEIC = photo('heic/sample3-face2.heic');
const SOURCE = photo('portraits/sample3-face2.jpg');

let deps: IntakeDeps;
before(async () => {
  const [faces, moderator] = await Promise.all([loadFaceDetector(), loadModerator()]);
  deps = { faces, moderator };
});

async function hashOf(png: Buffer): Promise<string> {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  return perceptualHash({ data, width: info.width, height: info.height });
}

/** A copy whose ispe property declares another size; the coded picture stays 400×400. */
function declaring(width: number, height: number): Buffer {
  const copy = Buffer.from(HEIC.bytes);
  const ispe = copy.indexOf('ispe', 0, 'latin1');
  copy.writeUInt32BE(width, ispe + 8); // after the type: version and flags, then width, height
  copy.writeUInt32BE(height, ispe + 12);
  return copy;
}

/**
 * A copy with an irot property (turns × 90° anticlockwise) on its image: the box appended to
 * ipco, its index to the image's ipma entry, the sizes around them and iloc's offset into mdat
 * moved on. Written for heif-enc's layout of this file, which the asserts pin.
 */
function rotated(turns: 1 | 2 | 3): Buffer {
  const heic = HEIC.bytes;
  const box = (type: string) => heic.indexOf(type, 0, 'latin1') - 4;
  const [meta, iprp, ipco, ipma, iloc] = ['meta', 'iprp', 'ipco', 'ipma', 'iloc'].map(box);
  assert.ok(meta! < iloc! && iloc! < iprp! && iprp! < ipco! && ipco! < ipma!);
  assert.equal(heic.readUInt32BE(ipma! + 12), 1, 'one item with properties');
  assert.equal(heic.readUInt16BE(iloc! + 14), 1, 'one item located');
  const irot = Buffer.from([0, 0, 0, 9, ...Buffer.from('irot'), turns]);
  const ipcoEnd = ipco! + heic.readUInt32BE(ipco!);
  const ipmaEnd = ipma! + heic.readUInt32BE(ipma!);
  const properties = ipma! + 18; // the entry's association count
  let count = 0;
  for (let at = ipco! + 8; at < ipcoEnd; at += heic.readUInt32BE(at)) count++;
  assert.equal(heic[properties], count, 'every property is the image’s');
  const copy = Buffer.concat([
    heic.subarray(0, ipcoEnd),
    irot,
    heic.subarray(ipcoEnd, ipmaEnd),
    Buffer.from([0x80 | (count + 1)]), // essential; 1-based index: irot, after the others
    heic.subarray(ipmaEnd),
  ]);
  const grow = (at: number, by: number) => copy.writeUInt32BE(copy.readUInt32BE(at) + by, at);
  grow(meta!, 10);
  grow(iprp!, 10);
  grow(ipco!, 9);
  grow(ipma! + 9, 1);
  copy[properties + 9]! += 1;
  assert.equal(copy[iloc! + 12], 0x44, 'iloc: 4-byte offsets and lengths');
  grow(iloc! + 20, 10); // the item's base offset: its data in mdat moved by 10 bytes
  return copy;
}

test('a HEIC photo is accepted like its JPEG source, with a JPEG preview the page can show', async () => {
  const heic = await checkPhotos([HEIC], deps);
  const jpeg = await checkPhotos([SOURCE], deps);
  assert.equal(heic.verdicts[0]!.ok, true, JSON.stringify(heic.verdicts[0]));
  assert.equal(jpeg.verdicts[0]!.ok, true);
  const [fromHeic, fromJpeg] = [heic.accepted[0]!, jpeg.accepted[0]!];
  for (const key of ['x', 'y', 'width', 'height'] as const) {
    const [a, b] = [fromHeic.face.box[key], fromJpeg.face.box[key]];
    assert.ok(Math.abs(a - b) < 8, `face box ${key}: ${a} from HEIC, ${b} from JPEG`);
  }
  const distance = hashDistance(await hashOf(fromHeic.crop), await hashOf(fromJpeg.crop));
  assert.ok(distance <= INTAKE_LIMITS.duplicateMaxBits, `crops ${distance} bits apart`);
  const crop = await sharp(fromHeic.crop).metadata();
  assert.deepEqual([crop.format, crop.width, crop.height], ['png', 512, 512]);

  const preview = heic.previews[0];
  assert.ok(preview, 'a HEIC gets a preview');
  const shown = await sharp(preview).metadata();
  assert.deepEqual([shown.format, shown.width, shown.height], ['jpeg', 384, 384]);
  assert.equal(shown.exif, undefined);
  assert.deepEqual(jpeg.previews, [undefined], 'the page shows a JPEG itself');
});

test("HEIC rotation (irot) is libheif's to apply: the photo comes out turned as the file says", async () => {
  const turned = await decodePhoto('turned.heic', rotated(1));
  assert.ok(turned.ok, turned.ok ? '' : turned.message);
  const expected = await sharp(SOURCE.bytes)
    .rotate(-90)
    .raw()
    .toBuffer({ resolveWithObject: true });
  const distance = hashDistance(
    await perceptualHash(turned.image),
    await perceptualHash({ ...expected.info, data: expected.data }),
  );
  assert.ok(distance <= INTAKE_LIMITS.duplicateMaxBits, `${distance} bits from the turned JPEG`);
  const upright = await decodePhoto('upright.heic', HEIC.bytes);
  assert.ok(upright.ok);
  assert.ok(
    hashDistance(await perceptualHash(upright.image), await perceptualHash(turned.image)) > 16,
  );
});

test('a damaged HEIC is refused as unreadable, by name', async () => {
  const whole = HEIC.bytes;
  const damaged = {
    'cut.heic': whole.subarray(0, whole.length >> 1),
    'header-only.heic': whole.subarray(0, 300),
    'no-boxes.heic': Buffer.concat([whole.subarray(0, 28), Buffer.alloc(2000, 0x5a)]),
  };
  const { verdicts } = await checkPhotos(
    Object.entries(damaged).map(([name, bytes]) => ({ name, bytes })),
    deps,
  );
  // The cut file's header is whole: sharp reads it, and the decoder is the one to fail.
  await assert.rejects(decodeHeic(damaged['cut.heic'], 0, INTAKE_LIMITS.maxPixels), /HEIC/);
  for (const verdict of verdicts) {
    assert.equal(verdict.ok, false, verdict.name);
    if (verdict.ok) continue;
    assert.equal(verdict.code, 'UNREADABLE', verdict.message);
    assert.equal(
      verdict.message,
      `"${verdict.name}" could not be read: the file is damaged or incomplete.`,
    );
  }
});

test('a HEIC declaring more than 40 megapixels is refused before anything is decoded', async () => {
  const bomb = declaring(10_000, 10_000);
  const verdict = await decodePhoto('bomb.heic', bomb);
  assert.equal(verdict.ok, false);
  assert.deepEqual(verdict.ok ? {} : { code: verdict.code, message: verdict.message }, {
    code: 'TOO_LARGE',
    message: '"bomb.heic" is 100.0 megapixels; photos can be at most 40.',
  });
  // The decoder's own check, on libheif's reading of the size: no pixels, no 400 MB buffer.
  const declared = await decodeHeic(bomb, 0, INTAKE_LIMITS.maxPixels);
  assert.deepEqual(declared, { width: 10_000, height: 10_000, data: null });
  const small = await decodePhoto('small.heic', declaring(300, 200));
  assert.equal(small.ok ? '' : small.code, 'TOO_SMALL');
});

test('HEIC under another major brand (heim, heis...) is decoded too', async () => {
  const copy = Buffer.from(HEIC.bytes).fill('heim', 8, 12);
  const decoded = await decodePhoto('brand.heic', copy);
  assert.ok(decoded.ok, decoded.ok ? '' : decoded.message);
  assert.deepEqual([decoded.image.width, decoded.image.height], [400, 400]);
});
