import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import sharp from 'sharp';
import { loadModerator, type Moderator } from '../moderation/classifier.ts';
import type { NsfwScores } from '../moderation/policy.ts';
import type { FaceDetector } from './face-types.ts';
import { loadFaceDetector } from './faces.ts';
import { checkPhotos, type IntakeDeps, type SubmittedPhoto } from './intake.ts';
import { INTAKE_LIMITS } from '../api/intake-limits.ts';
import { hashDistance, perceptualHash } from './phash.ts';
import { photo, photosIn } from '../testing/photos.ts';
import type { PhotoVerdict } from './verdicts.ts';

let faces: FaceDetector;
let moderator: Moderator;
let deps: IntakeDeps;
before(async () => {
  [faces, moderator] = await Promise.all([loadFaceDetector(), loadModerator()]);
  deps = { faces, moderator };
});

const PORTRAIT = 'portraits/sample1-face1.jpg';

async function verdictOf(
  submitted: SubmittedPhoto,
  using: IntakeDeps = deps,
): Promise<PhotoVerdict> {
  const { verdicts } = await checkPhotos([submitted], using);
  assert.equal(verdicts.length, 1);
  return verdicts[0]!;
}

function assertRefused(verdict: PhotoVerdict, code: string, name: string): void {
  assert.equal(verdict.ok, false, `${name} should be refused with ${code}`);
  if (verdict.ok) return;
  assert.equal(verdict.code, code, verdict.message);
  assert.ok(verdict.message.includes(`"${name}"`), `message names the photo: ${verdict.message}`);
}

/** The same person in three different pictures: a portrait, a closer crop, a mirrored one. */
async function onePerson(): Promise<SubmittedPhoto[]> {
  const mirrored = await sharp(photo(PORTRAIT).bytes).flop().png().toBuffer();
  return [
    photo(PORTRAIT),
    photo('close/sample1-face1.jpg'),
    { name: 'mirrored.png', bytes: mirrored },
  ];
}

test('three ordinary photos of one person are accepted as face crops and the run can start', async () => {
  const result = await checkPhotos(await onePerson(), deps);
  assert.deepEqual(
    result.verdicts.map((v) => v.ok),
    [true, true, true],
  );
  assert.equal(result.canStart, true);
  assert.equal(result.startMessage, undefined);
  assert.deepEqual(result.warnings, []);
  for (const kept of result.accepted) {
    const meta = await sharp(kept.crop).metadata();
    assert.equal(meta.format, 'png');
    assert.equal(meta.width, INTAKE_LIMITS.cropSidePx);
    assert.equal(meta.height, INTAKE_LIMITS.cropSidePx);
    assert.equal(kept.descriptor.length, 128);
    assert.ok(kept.face.box.width >= INTAKE_LIMITS.minFaceWidthPx);
  }
  // The crop is centred on the face: the detector finds it again in the middle.
  const { data, info } = await sharp(result.accepted[0]!.crop)
    .raw()
    .toBuffer({ resolveWithObject: true });
  const [again] = await faces.detect({ data, width: info.width, height: info.height });
  assert.ok(again);
  const centre = again.box.x + again.box.width / 2;
  assert.ok(Math.abs(centre - info.width / 2) < info.width * 0.1, `face centre at ${centre}`);
  // Scores travel with accepted verdicts too, for the audit log.
  assert.ok(result.verdicts.every((v) => v.moderation && v.moderation.allowed));
});

test('a photo of someone else is accepted with a warning that names it', async () => {
  const other = 'portraits/sample4-face3.jpg';
  const result = await checkPhotos([...(await onePerson()), photo(other)], deps);
  assert.ok(result.verdicts.every((v) => v.ok));
  assert.equal(result.canStart, true);
  assert.equal(result.warnings.length, 1);
  assert.deepEqual(result.warnings[0]!.photos, [other]);
  assert.ok(result.warnings[0]!.message.includes(`"${other}"`));
});

test('NOT_AN_IMAGE: a text file, and an SVG drawing', async () => {
  assertRefused(
    await verdictOf({ name: 'notes.txt', bytes: Buffer.from('my best photos\n') }),
    'NOT_AN_IMAGE',
    'notes.txt',
  );
  const svg = Buffer.from(
    '<svg xmlns="http://www.w3.org/2000/svg" width="600" height="600"><circle cx="300" cy="300" r="200"/></svg>',
  );
  const verdict = await verdictOf({ name: 'logo.svg', bytes: svg });
  assertRefused(verdict, 'NOT_AN_IMAGE', 'logo.svg');
  assert.match(verdict.ok ? '' : verdict.message, /SVG/);
});

test('UNREADABLE: a truncated JPEG and an empty file', async () => {
  const full = photo(PORTRAIT).bytes;
  assertRefused(
    await verdictOf({ name: 'cut.jpg', bytes: full.subarray(0, full.length >> 1) }),
    'UNREADABLE',
    'cut.jpg',
  );
  assertRefused(
    await verdictOf({ name: 'empty.jpg', bytes: Buffer.alloc(0) }),
    'UNREADABLE',
    'empty.jpg',
  );
});

test('TOO_SMALL: shortest side under 256 pixels', async () => {
  const small = await sharp(photo(PORTRAIT).bytes)
    .resize(400, 250, { fit: 'cover' })
    .jpeg()
    .toBuffer();
  const verdict = await verdictOf({ name: 'small.jpg', bytes: small });
  assertRefused(verdict, 'TOO_SMALL', 'small.jpg');
  assert.match(verdict.ok ? '' : verdict.message, /400×250/);
});

test('TOO_LARGE: over 30 MB, and over 40 megapixels', async () => {
  // An uncompressed TIFF of a real photo: 3300² × 3 bytes ≈ 32.7 MB but only 10.9 MP.
  const heavy = await sharp(photo('groups/sample1.jpg').bytes)
    .resize(3300, 3300)
    .tiff({ compression: 'none' })
    .toBuffer();
  assert.ok(heavy.length > INTAKE_LIMITS.maxBytes);
  assertRefused(await verdictOf({ name: 'scan.tif', bytes: heavy }), 'TOO_LARGE', 'scan.tif');
  const huge = await sharp(photo('groups/sample1.jpg').bytes)
    .resize(8000, 5100)
    .jpeg({ quality: 50 })
    .toBuffer();
  const verdict = await verdictOf({ name: 'huge.jpg', bytes: huge });
  assertRefused(verdict, 'TOO_LARGE', 'huge.jpg');
  assert.match(verdict.ok ? '' : verdict.message, /40\.8 megapixels/);
});

test('NO_FACE: real photos without a face', async () => {
  for (const submitted of photosIn('no-face'))
    assertRefused(await verdictOf(submitted), 'NO_FACE', submitted.name);
});

test('MULTIPLE_FACES: real group photos, with the count in the message', async () => {
  const verdict = await verdictOf(photo('groups/sample5.jpg'));
  assertRefused(verdict, 'MULTIPLE_FACES', 'groups/sample5.jpg');
  assert.match(verdict.ok ? '' : verdict.message, /5 faces/);
});

test('FACE_TOO_SMALL: a real face far from the camera', async () => {
  // The portrait shrunk to 200 px and set into a 600 px scene: the face is ~70 px wide.
  const face = await sharp(photo(PORTRAIT).bytes).resize(200).toBuffer();
  const scene = await sharp(photo('no-face/room-background.jpg').bytes)
    .resize(600, 600)
    .composite([{ input: face, left: 200, top: 200 }])
    .jpeg()
    .toBuffer();
  assertRefused(await verdictOf({ name: 'far.jpg', bytes: scene }), 'FACE_TOO_SMALL', 'far.jpg');
});

test('EXPLICIT: a photo the classifier scores as explicit is refused with its reason and scores', async () => {
  // No explicit photo belongs in this repository: the classifier's answer is stubbed, the
  // photo and everything around it is real.
  const explicit: NsfwScores = {
    Drawing: 0.01,
    Hentai: 0.02,
    Neutral: 0.02,
    Porn: 0.9,
    Sexy: 0.05,
  };
  const stub: IntakeDeps = { faces, moderator: { classify: async () => explicit } };
  const verdict = await verdictOf(photo(PORTRAIT), stub);
  assertRefused(verdict, 'EXPLICIT', PORTRAIT);
  assert.match(verdict.ok ? '' : verdict.message, /Porn score 0\.90/);
  assert.deepEqual(verdict.moderation?.scores, explicit);
});

test('DUPLICATE: a resized, re-encoded copy of an accepted photo names the original', async () => {
  const original = photo('portraits/sample2-face3.jpg');
  const copy = {
    name: 'copy.webp',
    bytes: await sharp(original.bytes).resize(320).webp({ quality: 70 }).toBuffer(),
  };
  const { verdicts } = await checkPhotos([original, copy], deps);
  assert.equal(verdicts[0]!.ok, true);
  assertRefused(verdicts[1]!, 'DUPLICATE', 'copy.webp');
  assert.ok(!verdicts[1]!.ok && verdicts[1]!.message.includes(`"${original.name}"`));
});

test('PNG, WebP, AVIF and TIFF photos are accepted like JPEG', async () => {
  const source = photo('portraits/sample5-face4.jpg').bytes;
  const encodings = {
    'photo.png': await sharp(source).png().toBuffer(),
    'photo.webp': await sharp(source).webp().toBuffer(),
    'photo.avif': await sharp(source).avif().toBuffer(),
    'photo.tiff': await sharp(source).tiff().toBuffer(),
  };
  for (const [name, bytes] of Object.entries(encodings)) {
    const { verdicts, previews } = await checkPhotos([{ name, bytes }], deps);
    const verdict = verdicts[0]!;
    assert.equal(verdict.ok, true, `${name}: ${verdict.ok ? '' : verdict.message}`);
    // Chromium shows all but TIFF from the file itself; a TIFF gets a JPEG to show instead.
    const preview = previews[0] && (await sharp(previews[0]).metadata()).format;
    assert.equal(preview, name === 'photo.tiff' ? 'jpeg' : undefined, name);
  }
});

test('an animated GIF is judged by its first frame', async () => {
  const frame = (name: string) => sharp(photo(name).bytes).resize(360, 360).toBuffer();
  const face = await frame(PORTRAIT);
  const wall = await frame('no-face/room-background.jpg');
  const gif = (frames: Buffer[]) =>
    sharp(frames, { join: { animated: true } })
      .gif()
      .toBuffer();
  const faceFirst = await gif([face, wall]);
  assert.equal((await sharp(faceFirst).metadata()).pages, 2);
  assert.equal((await verdictOf({ name: 'face-first.gif', bytes: faceFirst })).ok, true);
  assertRefused(
    await verdictOf({ name: 'wall-first.gif', bytes: await gif([wall, face]) }),
    'NO_FACE',
    'wall-first.gif',
  );
});

test('EXIF orientation is honoured: a sideways-stored JPEG gives the upright crop', async () => {
  const upright = await sharp(photo('portraits/sample3-face1.jpg').bytes)
    .jpeg({ quality: 95 })
    .toBuffer();
  // Orientation 6: the pixels are stored turned a quarter anticlockwise; viewers turn them back.
  const sideways = await sharp(upright)
    .rotate(270)
    .withMetadata({ orientation: 6 })
    .jpeg({ quality: 95 })
    .toBuffer();
  assert.equal((await sharp(sideways).metadata()).orientation, 6);
  const result = await checkPhotos([{ name: 'upright.jpg', bytes: upright }], deps);
  const turned = await checkPhotos([{ name: 'phone.jpg', bytes: sideways }], deps);
  assert.equal(turned.verdicts[0]!.ok, true);
  const hashOf = async (png: Buffer) => {
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    return perceptualHash({ data, width: info.width, height: info.height });
  };
  const distance = hashDistance(
    await hashOf(result.accepted[0]!.crop),
    await hashOf(turned.accepted[0]!.crop),
  );
  assert.ok(distance <= INTAKE_LIMITS.duplicateMaxBits, `crops differ by ${distance} bits`);
});

test('metadata, GPS included, is stripped from what is kept', async () => {
  const gps = {
    GPSLatitudeRef: 'N',
    GPSLatitude: '48/1 51/1 2940/100',
    GPSLongitudeRef: 'E',
    GPSLongitude: '2/1 21/1 780/100',
  };
  const exif = { IFD0: { Artist: 'Jane Example', Copyright: 'Jane Example 2024' }, IFD3: gps };
  const source = photo('portraits/sample6-face1.jpg').bytes;
  const tagged = {
    'located.png': await sharp(source).withExif(exif).png().toBuffer(),
    'located.jpg': await sharp(source).withExif(exif).keepIccProfile().jpeg().toBuffer(),
  };
  for (const [name, bytes] of Object.entries(tagged)) {
    const before = await sharp(bytes).metadata();
    assert.ok(before.exif?.includes('Jane Example'), `${name} carries EXIF before intake`);
    const gpsPointer = [Buffer.from([0x88, 0x25]), Buffer.from([0x25, 0x88])]; // tag 0x8825, either byte order
    assert.ok(
      gpsPointer.some((tag) => before.exif?.includes(tag)),
      `${name} carries GPS before intake`,
    );
    const result = await checkPhotos([{ name, bytes }], deps);
    const kept = result.accepted[0]!.crop;
    const after = await sharp(kept).metadata();
    assert.equal(after.exif, undefined, name);
    assert.equal(after.xmp, undefined, name);
    assert.equal(after.icc, undefined, name);
    assert.ok(!kept.includes('Jane Example'), name);
    assert.ok(!kept.includes('eXIf'), `${name}: no PNG EXIF chunk`);
  }
});

test('fewer than three usable photos: no run, and the message names the photos to replace', async () => {
  const photos = [
    photo(PORTRAIT),
    photo('portraits/sample2-face3.jpg'),
    photo('no-face/striped-dress.jpg'),
    { name: 'notes.txt', bytes: Buffer.from('hi') },
  ];
  const result = await checkPhotos(photos, deps);
  assert.equal(result.verdicts.length, photos.length, 'nothing is dropped');
  assert.deepEqual(
    result.verdicts.map((v) => v.name),
    photos.map((p) => p.name),
  );
  assert.equal(result.canStart, false);
  assert.equal(result.startCode, 'TOO_FEW_PHOTOS');
  assert.ok(result.startMessage?.includes('"no-face/striped-dress.jpg"'));
  assert.ok(result.startMessage?.includes('"notes.txt"'));
  assert.ok(!result.startMessage?.includes(PORTRAIT));
  assert.equal(result.accepted.length, 2);
});

test('more than ten photos: no run, every photo still judged, and the message says how many to remove', async () => {
  const tiny = await Promise.all(
    Array.from({ length: 8 }, async (_, i) => ({
      name: `thumb${i}.jpg`,
      bytes: await sharp(photo(PORTRAIT).bytes)
        .resize(100 + i)
        .jpeg()
        .toBuffer(),
    })),
  );
  const photos = [...(await onePerson()), ...tiny];
  assert.equal(photos.length, 11);
  const result = await checkPhotos(photos, deps);
  assert.equal(result.verdicts.length, 11);
  assert.equal(result.accepted.length, 3);
  assert.equal(result.canStart, false);
  assert.equal(result.startCode, 'TOO_MANY_PHOTOS');
  assert.match(result.startMessage ?? '', /Remove 1\b/);
  assert.ok(result.startMessage?.includes('"thumb0.jpg"'));
});

test('progress is reported per photo and an aborted check stops', async () => {
  const seen: number[] = [];
  await checkPhotos(
    [
      { name: 'a.txt', bytes: Buffer.from('a') },
      { name: 'b.txt', bytes: Buffer.from('b') },
    ],
    {
      ...deps,
      onProgress: (checked) => seen.push(checked),
    },
  );
  assert.deepEqual(seen, [1, 2]);
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(checkPhotos([photo(PORTRAIT)], { ...deps, signal: controller.signal }), {
    name: 'AbortError',
  });
});
