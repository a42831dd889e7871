import assert from 'node:assert/strict';
import { test } from 'node:test';
import { float16BitsToFloat32, float32ToFloat16Bits } from './float16.ts';

const bits = (...values: number[]): number[] =>
  Array.from(float32ToFloat16Bits(Float32Array.from(values)));

test('encodes normal numbers, signs and zero exactly', () => {
  assert.deepEqual(
    bits(1, -2, 0.5, 0, -0, 65504),
    [0x3c00, 0xc000, 0x3800, 0x0000, 0x8000, 0x7bff],
  );
});

test('rounds to nearest even, as numpy astype(float16) does', () => {
  // 1 + 2^-11 lies halfway between 1 and the next half (1 + 2^-10): ties go to the even mantissa.
  assert.deepEqual(bits(1 + 2 ** -11), [0x3c00]);
  assert.deepEqual(bits(1 + 3 * 2 ** -11), [0x3c02]);
  assert.deepEqual(bits(1 + 2 ** -11 + 2 ** -20), [0x3c01]);
});

test('overflows to infinity and keeps NaN a NaN', () => {
  assert.deepEqual(bits(65520, -1e6, Infinity), [0x7c00, 0xfc00, 0x7c00]);
  const [nan] = bits(NaN);
  assert.equal(nan! & 0x7c00, 0x7c00);
  assert.notEqual(nan! & 0x3ff, 0);
});

test('subnormals survive the round trip', () => {
  const smallest = 2 ** -24;
  assert.deepEqual(bits(smallest, 3 * smallest, smallest / 4), [0x0001, 0x0003, 0x0000]);
  assert.deepEqual(Array.from(float16BitsToFloat32(Uint16Array.from([0x0001, 0x0200]))), [
    smallest,
    2 ** -15,
  ]);
});

test('every half value decodes and re-encodes to itself', () => {
  const all = new Uint16Array(0x10000).map((_, i) => i);
  const decoded = float16BitsToFloat32(all);
  const again = float32ToFloat16Bits(decoded);
  for (let i = 0; i < all.length; i++) {
    const isNaN = (i & 0x7c00) === 0x7c00 && (i & 0x3ff) !== 0;
    if (!isNaN) assert.equal(again[i], i, `half 0x${i.toString(16)}`);
  }
});
