import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { float32ToFloat16Bits } from '../engine/onnx/float16.ts';
import { SafetensorsFile } from './safetensors.ts';
import { writeSafetensors as write } from '../testing/weights.ts';

const f32 = (values: number[]) => Buffer.from(new Float32Array(values).buffer);

test('reads F32, F16 and BF16 tensors as float32, with metadata', (t) => {
  const half = Buffer.from(float32ToFloat16Bits(new Float32Array([1.5, -2])).buffer);
  const bf16 = Buffer.from(new Uint16Array([0x3fc0, 0xc000]).buffer); // 1.5, -2
  const file = write(
    t,
    {
      __metadata__: { format: 'pt' },
      a: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] },
      b: { dtype: 'F16', shape: [2], data_offsets: [16, 20] },
      c: { dtype: 'BF16', shape: [2], data_offsets: [20, 24] },
      ids: { dtype: 'I64', shape: [1], data_offsets: [24, 32] },
    },
    Buffer.concat([f32([1, 2, 3, 4]), half, bf16, Buffer.alloc(8)]),
  );
  const st = SafetensorsFile.open(file);
  t.after(() => st.close());
  assert.deepEqual(st.metadata, { format: 'pt' });
  assert.deepEqual(
    st.list().map((x) => [x.name, x.dtype, x.shape]),
    [
      ['a', 'F32', [2, 2]],
      ['b', 'F16', [2]],
      ['c', 'BF16', [2]],
      ['ids', 'I64', [1]],
    ],
  );
  assert.deepEqual([...st.readFloat32('a')], [1, 2, 3, 4]);
  assert.deepEqual([...st.readFloat32('b')], [1.5, -2]);
  assert.deepEqual([...st.readFloat32('c')], [1.5, -2]);
  assert.throws(() => st.readFloat32('ids'), /"ids" is I64, not a float tensor/);
  assert.throws(() => st.readFloat32('nope'), /holds no tensor "nope"/);
});

test('a hostile header is an error naming the file and the tensor, never a read out of bounds', (t) => {
  const data = f32([1, 2, 3, 4]);
  const cases: [string, unknown, RegExp][] = [
    [
      'range past the end',
      { a: { dtype: 'F32', shape: [8], data_offsets: [0, 32] } },
      /"a" has a byte range \[0,32\] outside the file's 16 data bytes/,
    ],
    [
      'shape and bytes disagree',
      { a: { dtype: 'F32', shape: [3], data_offsets: [0, 16] } },
      /"a" claims 3 F32 elements in 16 bytes/,
    ],
    [
      'reversed range',
      { a: { dtype: 'F32', shape: [0], data_offsets: [8, 4] } },
      /"a" has a byte range/,
    ],
    [
      'negative size',
      { a: { dtype: 'F32', shape: [-4], data_offsets: [0, 16] } },
      /"a" has a shape that is not a list of sizes/,
    ],
    [
      'huge shape',
      { a: { dtype: 'F32', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 16] } },
      /"a" claims/,
    ],
    [
      'unknown dtype',
      { a: { dtype: 'F128', shape: [1], data_offsets: [0, 16] } },
      /"a" has an unknown dtype "F128"/,
    ],
    [
      'overlap',
      {
        a: { dtype: 'F32', shape: [3], data_offsets: [0, 12] },
        b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] },
      },
      /tensors "a" and "b" overlap/,
    ],
    ['not JSON', '{"a":', /header is not JSON/],
    ['not an object', '[1,2]', /header is not a JSON object/],
    ['metadata of numbers', { __metadata__: { n: 1 } }, /__metadata__ "n" is not a string/],
  ];
  for (const [name, header, message] of cases) {
    const file = write(t, header, data);
    assert.throws(() => SafetensorsFile.open(file), message, name);
    assert.throws(
      () => SafetensorsFile.open(file),
      new RegExp(file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')),
      name,
    );
  }
});

test('a header length larger than the file is refused before anything is allocated', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'safetensors-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'lie.safetensors');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(2n ** 63n);
  fs.writeFileSync(file, Buffer.concat([length, Buffer.from('{}')]));
  assert.throws(() => SafetensorsFile.open(file), /header claims 9223372036854775808 bytes/);
  fs.writeFileSync(file, Buffer.from([1, 2, 3]));
  assert.throws(() => SafetensorsFile.open(file), /too short/);
});

test('reads the reference checkpoint diffusers wrote (fp16, 600 tensors)', (t) => {
  const st = SafetensorsFile.open(
    'scripts/fixtures/diffusers-reference/sd2-tiny/checkpoint.safetensors',
  );
  t.after(() => st.close());
  assert.equal(st.list().length, 600);
  const embedding = st.readFloat32('cond_stage_model.model.token_embedding.weight');
  assert.equal(embedding.length, 49408 * 64);
  assert.ok(embedding.every(Number.isFinite));
});
