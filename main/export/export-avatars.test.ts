import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { EXPORT_FORMATS, EXPORT_SIZES } from '../api/contract.ts';
import { exportAvatars } from './export-avatars.ts';
import { renderAvatar } from './render.ts';

/** A 300×200 photo-like JPEG carrying everything that must not leave: EXIF with GPS, an ICC profile. */
let tagged: Buffer;
before(async () => {
  tagged = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#3a7' } })
    .jpeg()
    .withMetadata({
      exif: {
        IFD0: { Copyright: 'someone', Artist: 'someone' },
        IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 0/1' },
      },
    })
    .withIccProfile('p3')
    .toBuffer();
  const meta = await sharp(tagged).metadata();
  assert.ok(meta.exif && meta.icc, 'the input really carries EXIF and ICC');
});

async function pixel(image: Buffer, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(image).raw().toBuffer({ resolveWithObject: true });
  const at = (y * info.width + x) * info.channels;
  return [...data.subarray(at, at + info.channels)];
}

describe('renderAvatar', () => {
  test('every size and format: a square of that size in that format', async () => {
    for (const size of EXPORT_SIZES) {
      for (const format of EXPORT_FORMATS) {
        const meta = await sharp(
          await renderAvatar(tagged, { size, format, circle: false }),
        ).metadata();
        assert.deepEqual([meta.format, meta.width, meta.height], [format, size, size]);
      }
    }
  });

  test('circle: transparent corners and an opaque centre (PNG and WebP)', async () => {
    for (const format of ['png', 'webp'] as const) {
      const out = await renderAvatar(tagged, { size: 256, format, circle: true });
      assert.equal((await pixel(out, 0, 0))[3], 0, `${format} corner`);
      assert.equal((await pixel(out, 255, 255))[3], 0, `${format} far corner`);
      assert.equal((await pixel(out, 128, 128))[3], 255, `${format} centre`);
    }
  });

  test('circle in JPEG: white corners, since JPEG has no alpha', async () => {
    const out = await renderAvatar(tagged, { size: 256, format: 'jpeg', circle: true });
    const corner = await pixel(out, 0, 0);
    assert.equal(corner.length, 3);
    assert.ok(
      corner.every((c) => c >= 250),
      `corner ${corner}`,
    );
    const centre = await pixel(out, 128, 128);
    assert.ok(centre[1]! > centre[0]! + 40, `centre keeps the photo: ${centre}`);
  });

  test('no circle: the corners stay opaque', async () => {
    const out = await renderAvatar(tagged, { size: 256, format: 'png', circle: false });
    const corner = await pixel(out, 0, 0);
    assert.ok(corner.length === 3 || corner[3] === 255);
  });

  test('all metadata stripped: no EXIF, GPS, ICC or XMP; no PNG text or time chunks', async () => {
    for (const format of EXPORT_FORMATS) {
      for (const circle of [false, true]) {
        const out = await renderAvatar(tagged, { size: 256, format, circle });
        const meta = await sharp(out).metadata();
        const kept = { exif: meta.exif, icc: meta.icc, xmp: meta.xmp, comments: meta.comments };
        assert.deepEqual(kept, {
          exif: undefined,
          icc: undefined,
          xmp: undefined,
          comments: undefined,
        });
        const allowed = ALLOWED_BLOCKS[format];
        for (const block of BLOCKS[format](out)) {
          assert.ok(allowed.includes(block), `${format} (circle ${circle}) carries ${block}`);
        }
      }
    }
  });
});

describe('exportAvatars', () => {
  test('one avatar: that image file, named for its style, number and size', async () => {
    const result = await exportAvatars([{ bytes: tagged, styleId: 'anime' }], {
      size: 512,
      format: 'png',
      circle: false,
    });
    assert.equal(result.fileName, 'avatar-anime-1-512.png');
    assert.equal(result.mimeType, 'image/png');
    assert.equal((await sharp(Buffer.from(result.bytes)).metadata()).width, 512);
  });

  test('several: a zip of those files, every entry intact', async () => {
    const images = [
      { bytes: tagged, styleId: 'anime' },
      { bytes: tagged, styleId: 'clay' },
      { bytes: tagged, styleId: 'anime' },
    ];
    const result = await exportAvatars(images, { size: 256, format: 'jpeg', circle: true });
    assert.equal(result.fileName, 'avatars-256-jpeg.zip');
    assert.equal(result.mimeType, 'application/zip');
    const entries = readZip(Buffer.from(result.bytes));
    assert.deepEqual(
      entries.map((e) => e.name),
      ['avatar-anime-1-256.jpg', 'avatar-clay-2-256.jpg', 'avatar-anime-3-256.jpg'],
    );
    for (const entry of entries) {
      const meta = await sharp(entry.bytes).metadata();
      assert.deepEqual([meta.format, meta.width, meta.exif], ['jpeg', 256, undefined]);
    }
  });
});

/** Block types a file may carry: image data and its layout only (pHYs is a pixel density). */
const ALLOWED_BLOCKS: Record<(typeof EXPORT_FORMATS)[number], string[]> = {
  png: ['IHDR', 'PLTE', 'tRNS', 'pHYs', 'IDAT', 'IEND'],
  // JPEG markers by name: APP0 is the JFIF header; APP1 (EXIF/XMP), APP2 (ICC) and COM must go.
  jpeg: ['SOI', 'APP0', 'DQT', 'SOF0', 'SOF2', 'DHT', 'DRI', 'SOS'],
  webp: ['VP8 ', 'VP8L', 'VP8X', 'ALPH'],
};

const BLOCKS: Record<(typeof EXPORT_FORMATS)[number], (file: Buffer) => string[]> = {
  png(file) {
    const types: string[] = [];
    for (let at = 8; at < file.length; at += 12 + file.readUInt32BE(at)) {
      types.push(file.toString('latin1', at + 4, at + 8));
    }
    return types;
  },
  jpeg(file) {
    const names: Record<number, string> = {
      0xd8: 'SOI',
      0xdb: 'DQT',
      0xc4: 'DHT',
      0xdd: 'DRI',
      0xda: 'SOS',
      0xfe: 'COM',
    };
    const markers = ['SOI'];
    // Segments up to the scan; the entropy-coded data after it holds no metadata.
    for (let at = 2; at < file.length; at += 2 + file.readUInt16BE(at + 2)) {
      const code = file[at + 1]!;
      const name =
        code >= 0xe0 && code <= 0xef
          ? `APP${code - 0xe0}`
          : code >= 0xc0 && code <= 0xcf && code !== 0xc4
            ? `SOF${code - 0xc0}`
            : (names[code] ?? code.toString(16));
      markers.push(name);
      if (name === 'SOS') break;
    }
    return markers;
  },
  webp(file) {
    assert.equal(file.toString('latin1', 0, 4), 'RIFF');
    const chunks: string[] = [];
    for (
      let at = 12;
      at < file.length;
      at += 8 + file.readUInt32LE(at + 4) + (file.readUInt32LE(at + 4) % 2)
    ) {
      chunks.push(file.toString('latin1', at, at + 4));
    }
    return chunks;
  },
};

/** Reads a zip back through its central directory, checking every entry's CRC and sizes. */
function readZip(zip: Buffer): { name: string; bytes: Buffer }[] {
  const end = zip.length - 22;
  assert.equal(zip.readUInt32LE(end), 0x06054b50, 'end of central directory');
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const entries: { name: string; bytes: Buffer }[] = [];
  for (let i = 0; i < count; i++) {
    assert.equal(zip.readUInt32LE(at), 0x02014b50, 'central header');
    const [method, crc, size, stored] = [
      zip.readUInt16LE(at + 10),
      zip.readUInt32LE(at + 16),
      zip.readUInt32LE(at + 20),
      zip.readUInt32LE(at + 24),
    ];
    const nameLength = zip.readUInt16LE(at + 28);
    const name = zip.toString('ascii', at + 46, at + 46 + nameLength);
    const local = zip.readUInt32LE(at + 42);
    assert.equal(zip.readUInt32LE(local), 0x04034b50, `local header of ${name}`);
    assert.equal(zip.toString('ascii', local + 30, local + 30 + nameLength), name);
    const start = local + 30 + nameLength + zip.readUInt16LE(local + 28);
    const bytes = zip.subarray(start, start + size);
    assert.equal(method, 0, 'stored');
    assert.equal(size, stored);
    assert.equal(crc32(bytes), crc, `CRC of ${name}`);
    entries.push({ name, bytes });
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return entries;
}
