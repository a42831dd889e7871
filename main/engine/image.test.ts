import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { isEngineError } from './errors.ts';
import { loadImageTensor, tensorToPng } from './image.ts';

type Rgb = readonly [number, number, number];
const RED: Rgb = [255, 0, 0];
const GREEN: Rgb = [0, 255, 0];
const BLUE: Rgb = [0, 0, 255];

let scratch: string;
before(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'image-'));
});
after(() => rm(scratch, { recursive: true, force: true }));

/** width×height RGB pixels, each coloured by `colourAt(x, y)`. */
function pixels(width: number, height: number, colourAt: (x: number, y: number) => Rgb): Buffer {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set(colourAt(x, y), 3 * (y * width + x));
  }
  return data;
}

function png(data: Buffer, width: number, height: number, channels: 3 | 4 = 3): Promise<Buffer> {
  return sharp(data, { raw: { width, height, channels } }).png().toBuffer();
}

/** The tensor's colour at (x, y), back in 0..255 for readable assertions. */
function colourAt(tensor: Float32Array, size: number, x: number, y: number): number[] {
  const plane = size * size;
  return [0, 1, 2].map((c) => Math.round(((tensor[c * plane + y * size + x]! + 1) / 2) * 255));
}

function assertNear(actual: number[], expected: Rgb, tolerance: number, where: string): void {
  actual.forEach((value, c) => {
    assert.ok(
      Math.abs(value - expected[c]!) <= tolerance,
      `${where}: ${actual} is not ~${expected}`,
    );
  });
}

describe('loadImageTensor', () => {
  test('a size×size image is used pixel for pixel, with the values diffusers computes', async () => {
    const size = 16;
    const raw = pixels(size, size, (x, y) => [(x * 16 + y) % 256, (x * y * 7) % 256, 255 - x * 3]);
    const tensor = await loadImageTensor(await png(raw, size, size), size);
    assert.equal(tensor.length, 3 * size * size);
    const plane = size * size;
    for (let i = 0; i < plane; i++) {
      for (let c = 0; c < 3; c++) {
        const p = raw[3 * i + c]!;
        assert.equal(tensor[c * plane + i], Math.fround(2 * Math.fround(p / 255) - 1));
      }
    }
    // Values numpy gives for np.float32(p) / 255.0 * 2.0 - 1.0 at p = 1, 127, 128.
    const reference = await loadImageTensor(
      await png(
        pixels(8, 8, () => [1, 127, 128]),
        8,
        8,
      ),
      8,
    );
    assert.deepEqual(
      [reference[0], reference[64], reference[128]],
      [-0.9921568632125854, -0.003921568393707275, 0.003921627998352051],
    );
  });

  test('a non-square image is resized to cover and centre-cropped', async () => {
    // Three 32×32 bands, red | green | blue: the centred square crop is the green band.
    const wide = pixels(96, 32, (x) => (x < 32 ? RED : x < 64 ? GREEN : BLUE));
    const tensor = await loadImageTensor(await png(wide, 96, 32), 16);
    assert.equal(tensor.length, 3 * 16 * 16);
    for (let x = 4; x < 12; x++) {
      for (const y of [0, 8, 15]) assertNear(colourAt(tensor, 16, x, y), GREEN, 1, `(${x}, ${y})`);
    }
  });

  test('EXIF orientation is applied before cropping', async () => {
    // Left half red, right half blue; orientation 6 displays it turned 90° clockwise, so red on top.
    const raw = pixels(16, 16, (x) => (x < 8 ? RED : BLUE));
    const jpeg = await sharp(raw, { raw: { width: 16, height: 16, channels: 3 } })
      .jpeg({ quality: 100, chromaSubsampling: '4:4:4' })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    assert.equal((await sharp(jpeg).metadata()).orientation, 6);
    const tensor = await loadImageTensor(jpeg, 16);
    assertNear(colourAt(tensor, 16, 2, 2), RED, 8, 'top left');
    assertNear(colourAt(tensor, 16, 13, 2), RED, 8, 'top right');
    assertNear(colourAt(tensor, 16, 2, 13), BLUE, 8, 'bottom left');
    assertNear(colourAt(tensor, 16, 13, 13), BLUE, 8, 'bottom right');
  });

  test('transparency is flattened onto white', async () => {
    const rgba = Buffer.alloc(8 * 8 * 4); // transparent black
    for (let i = 0; i < 8; i++) rgba.set([0, 0, 255, 255], 4 * i); // first row opaque blue
    const tensor = await loadImageTensor(await png(rgba, 8, 8, 4), 8);
    assert.deepEqual(colourAt(tensor, 8, 3, 0), [...BLUE]);
    assert.deepEqual(colourAt(tensor, 8, 3, 5), [255, 255, 255]);
  });

  test('a greyscale image becomes three equal channels', async () => {
    const grey = await sharp(Buffer.alloc(64, 200), { raw: { width: 8, height: 8, channels: 1 } })
      .png()
      .toBuffer();
    assert.deepEqual(colourAt(await loadImageTensor(grey, 8), 8, 4, 4), [200, 200, 200]);
  });

  test('a Display P3 photo is converted to sRGB', async () => {
    const colour: Rgb = [60, 180, 90];
    // sharp converts the sRGB pixels into P3 on write (stored as about 96, 178, 100).
    const p3 = await sharp(
      pixels(8, 8, () => colour),
      { raw: { width: 8, height: 8, channels: 3 } },
    )
      .png()
      .withIccProfile('p3')
      .toBuffer();
    assertNear(colourAt(await loadImageTensor(p3, 8), 8, 4, 4), colour, 2, 'centre');
  });

  test('a 16-bit PNG is read at 8 bits per channel', async () => {
    const raw = pixels(8, 8, (x, y) => [x * 30, y * 30, 7]);
    const deep = await sharp(raw, { raw: { width: 8, height: 8, channels: 3 } })
      .toColourspace('rgb16')
      .png()
      .toBuffer();
    assert.equal((await sharp(deep).metadata()).depth, 'ushort');
    const tensor = await loadImageTensor(deep, 8);
    assert.deepEqual(colourAt(tensor, 8, 5, 3), [150, 90, 7]);
  });

  async function assertUnreadable(
    input: string | Buffer,
    label: string,
    name?: string,
  ): Promise<void> {
    await assert.rejects(loadImageTensor(input, 8, name), (error) => {
      assert.ok(isEngineError(error));
      assert.equal(error.code, 'IMAGE_UNREADABLE');
      assert.equal(error.file, label);
      assert.ok(error.message.includes(label), error.message);
      return true;
    });
  }

  test('a corrupt or truncated buffer is refused, naming it', async () => {
    const raw = pixels(64, 64, (x, y) => [x * 4, y * 4, (x * y) % 256]);
    const jpeg = await sharp(raw, { raw: { width: 64, height: 64, channels: 3 } })
      .jpeg()
      .toBuffer();
    // The header still parses; the pixel data stops part-way.
    await assertUnreadable(jpeg.subarray(0, Math.floor(jpeg.length * 0.7)), 'me.jpg', 'me.jpg');
    await assertUnreadable(Buffer.from('not an image'), 'the image data');
  });

  test('a text file or a missing file is refused, naming the path', async () => {
    const notes = path.join(scratch, 'notes.jpg');
    await writeFile(notes, 'shopping list: eggs, milk');
    await assertUnreadable(notes, notes);
    await assertUnreadable(path.join(scratch, 'absent.png'), path.join(scratch, 'absent.png'));
  });

  test('a size that is not a positive multiple of 8 is a bad argument', async () => {
    const image = await png(
      pixels(8, 8, () => RED),
      8,
      8,
    );
    for (const size of [0, -8, 12, 8.5]) {
      await assert.rejects(loadImageTensor(image, size), { code: 'BAD_ARGUMENT' });
    }
  });
});

describe('tensorToPng', () => {
  /** The PNG chunk types in file order. */
  function chunks(file: Buffer): string[] {
    const types: string[] = [];
    for (let at = 8; at < file.length; at += 12 + file.readUInt32BE(at)) {
      types.push(file.toString('latin1', at + 4, at + 8));
    }
    return types;
  }

  test('round-trips a loaded image exactly', async () => {
    const raw = pixels(16, 8, (x, y) => [x * 15, y * 31, (x * y) % 256]);
    const wide = await sharp(raw, { raw: { width: 16, height: 8, channels: 3 } })
      .resize(8, 8, { fit: 'fill' })
      .raw()
      .toBuffer();
    const tensor = await loadImageTensor(await png(wide, 8, 8), 8);
    const decoded = await sharp(await tensorToPng(tensor, 8, 8))
      .raw()
      .toBuffer();
    assert.deepEqual(decoded, wide);
  });

  test('clips, rounds halves to even as numpy does, and maps NaN to 0', async () => {
    // x/2 + 0.5 then ·255 in float32 is exactly 64.5, 65.5 and 127.5 for these inputs.
    const values = [-2, 2, Number.NaN, -0.4941176176071167, -0.48627448081970215, 0];
    const tensor = new Float32Array(3 * values.length);
    tensor.set(values);
    const decoded = await sharp(await tensorToPng(tensor, values.length, 1))
      .raw()
      .toBuffer();
    assert.deepEqual([...decoded.filter((_, i) => i % 3 === 0)], [0, 255, 0, 64, 66, 128]);
  });

  test('same tensor, byte-identical PNG without metadata chunks', async () => {
    const tensor = Float32Array.from({ length: 3 * 32 * 24 }, (_, i) => Math.sin(i));
    const first = await tensorToPng(tensor, 32, 24);
    assert.deepEqual(await tensorToPng(tensor.slice(), 32, 24), first);
    assert.deepEqual(
      chunks(first).filter((type) => type !== 'IDAT'),
      ['IHDR', 'IEND'],
    );
    const { width, height, channels } = await sharp(first).metadata();
    assert.deepEqual([width, height, channels], [32, 24, 3]);
  });

  test('a tensor whose length does not match the size is a bad argument', async () => {
    await assert.rejects(tensorToPng(new Float32Array(10), 2, 2), { code: 'BAD_ARGUMENT' });
    await assert.rejects(tensorToPng(new Float32Array(0), 0, 0), { code: 'BAD_ARGUMENT' });
  });
});
