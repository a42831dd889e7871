/**
 * Hostile photos sent as the page sends them (photos:check over the loopback host): each must come
 * back as a verdict that names the photo and says why, never as a failed call.
 */
import { readFileSync } from 'node:fs';
import zlib from 'node:zlib';
import sharp from 'sharp';
import type { IntakeReport, PhotoUpload } from '../../../main/api/contract.ts';
import { decodeJson, encodeJson } from '../../../main/api/codec.ts';
import { postApi } from '../../../main/testing/host.ts';
import { type Attack, breach } from '../attack.ts';
import type { Target } from '../target.ts';
import { PORTRAITS } from './http.ts';

/** A PNG of any declared size whose pixels are a few bytes: the classic decompression bomb. */
function pngBomb(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', zlib.deflateSync(Buffer.alloc((width * 3 + 1) * 16))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const noise = (bytes: number) =>
  Buffer.from(Array.from({ length: bytes }, (_, i) => (i * 7919) % 251));

interface HostilePhoto {
  name: string;
  bytes: () => Promise<Buffer> | Buffer;
  /** The verdict code it must get; undefined: any verdict (a refusal names it). */
  code?: string;
}

const portrait = () => readFileSync(PORTRAITS[0]!);

const HOSTILE_PHOTOS: HostilePhoto[] = [
  { name: 'empty.jpg', bytes: () => Buffer.alloc(0), code: 'UNREADABLE' },
  { name: 'one-byte.jpg', bytes: () => Buffer.of(0xff) },
  { name: 'noise.jpg', bytes: () => noise(4096), code: 'NOT_AN_IMAGE' },
  {
    name: 'half.jpg',
    bytes: () => portrait().subarray(0, portrait().length >> 1),
    code: 'UNREADABLE',
  },
  {
    name: 'scrambled.jpg',
    bytes: () => {
      const bytes = Buffer.from(portrait());
      bytes.fill(0x5a, 600, 4000);
      return bytes;
    },
  },
  { name: 'bomb-30000x30000.png', bytes: () => pngBomb(30_000, 30_000), code: 'TOO_LARGE' },
  { name: 'bomb-65535x65535.png', bytes: () => pngBomb(65_535, 65_535), code: 'TOO_LARGE' },
  // Past libspng's own height limit: refused as unreadable, which is what it is to us.
  { name: 'bomb-1x2000000000.png', bytes: () => pngBomb(1, 2_000_000_000) },
  {
    name: 'gif-bomb.gif',
    bytes: () =>
      Buffer.concat([
        Buffer.from('GIF89a', 'latin1'),
        Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0]),
        Buffer.from([0x3b]),
      ]),
  },
  {
    name: 'drawing.svg',
    bytes: () =>
      Buffer.from(
        '<svg xmlns="http://www.w3.org/2000/svg" width="900" height="900"><circle r="400"/></svg>',
      ),
    code: 'NOT_AN_IMAGE',
  },
  {
    name: 'entity.svg',
    bytes: () =>
      Buffer.from(
        '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg xmlns="http://www.w3.org/2000/svg" width="900" height="900"><text>&x;</text></svg>',
      ),
    code: 'NOT_AN_IMAGE',
  },
  {
    name: 'paper.pdf',
    bytes: () => Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF'),
    code: 'NOT_AN_IMAGE',
  },
  {
    name: 'page.html',
    bytes: () => Buffer.from('<html><script>alert(1)</script></html>'),
    code: 'NOT_AN_IMAGE',
  },
  {
    name: 'archive.zip',
    bytes: () => Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), noise(200)]),
    code: 'NOT_AN_IMAGE',
  },
  {
    name: 'tiff-header-only.tif',
    bytes: () => Buffer.concat([Buffer.from('II*\0\x08\0\0\0', 'latin1'), noise(64)]),
  },
  {
    name: 'icon.png',
    bytes: () =>
      sharp({ create: { width: 16, height: 16, channels: 3, background: '#888' } })
        .png()
        .toBuffer(),
    code: 'TOO_SMALL',
  },
  {
    name: 'strip.png',
    bytes: () =>
      sharp({ create: { width: 4000, height: 10, channels: 3, background: '#888' } })
        .png()
        .toBuffer(),
    code: 'TOO_SMALL',
  },
  {
    name: 'grey-wall.png',
    bytes: () =>
      sharp({ create: { width: 600, height: 600, channels: 3, background: '#888' } })
        .png()
        .toBuffer(),
    code: 'NO_FACE',
  },
  {
    name: 'room.jpg',
    bytes: () => readFileSync('e2e/photos/no-face/room-background.jpg'),
    code: 'NO_FACE',
  },
  {
    name: 'group.jpg',
    bytes: () => readFileSync('e2e/photos/groups/sample1.jpg'),
    code: 'MULTIPLE_FACES',
  },
  {
    name: 'over-30-MB.jpg',
    bytes: () => Buffer.concat([portrait(), Buffer.alloc(30_000_001)]),
    code: 'TOO_LARGE',
  },
  {
    name: 'bad-crc.png',
    bytes: async () => {
      const png = await sharp({
        create: { width: 600, height: 600, channels: 3, background: '#468' },
      })
        .png()
        .toBuffer();
      png.writeUInt32BE(0xdeadbeef, 8 + 8 + 13); // IHDR's CRC
      return png;
    },
  },
  {
    name: 'truncated.webp',
    bytes: async () => (await sharp(portrait()).webp().toBuffer()).subarray(0, 300),
    code: 'UNREADABLE',
  },
  {
    name: 'fake.heic',
    bytes: () => Buffer.concat([Buffer.from('\0\0\0\x18ftypheic\0\0\0\0', 'latin1'), noise(500)]),
  },
  {
    name: 'huge-exif.jpg',
    bytes: async () =>
      sharp(portrait())
        .withExif({ IFD0: { ImageDescription: 'x'.repeat(60_000), Orientation: '8' } })
        .jpeg()
        .toBuffer(),
  },
  {
    name: `${'\u202e'}gpj.exe${'n'.repeat(200)}.jpg`,
    bytes: () => noise(100),
    code: 'NOT_AN_IMAGE',
  },
];

export function photoAttacks(target: Target): Attack[] {
  return HOSTILE_PHOTOS.map((photo) => ({
    family: 'hostile photos',
    name: photo.name.length > 40 ? `${photo.name.slice(0, 37)}...` : photo.name,
    run: async () => {
      // Alongside two good photos, so each verdict must name its own photo.
      const photos: PhotoUpload[] = [
        { name: 'good-1.jpg', bytes: readFileSync(PORTRAITS[1]!) },
        { name: photo.name, bytes: await photo.bytes() },
        { name: 'good-2.jpg', bytes: readFileSync(PORTRAITS[2]!) },
      ];
      const reply = await postApi(target.host, 'photos:check', encodeJson({ photos }));
      if (reply.status !== 200) breach(`status ${reply.status}: ${reply.body.slice(0, 200)}`);
      const report = (decodeJson(reply.body) as { result: IntakeReport }).result;
      const verdict = report.verdicts[1];
      if (verdict?.name !== photo.name) breach('the verdicts do not name the photos in order');
      if (photo.code === undefined && verdict.ok) return;
      if (verdict.ok) breach('accepted');
      if (photo.code !== undefined && verdict.code !== photo.code)
        breach(`verdict ${verdict.code}: ${verdict.message}, expected ${photo.code}`);
      if (!verdict.message?.includes(photo.name))
        breach(`the message does not name it: ${verdict.message}`);
      if (!report.verdicts[0]?.ok || !report.verdicts[2]?.ok)
        breach('a good photo beside it was refused');
    },
  }));
}
