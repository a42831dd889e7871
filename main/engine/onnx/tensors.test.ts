import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Tensor } from 'onnxruntime-node';
import { EngineError } from '../errors.ts';
import { float32Of, tensorFor, type TensorMetadata } from './tensors.ts';

const meta = (type: Tensor.Type, shape: (number | string)[] = ['batch']): TensorMetadata => ({
  name: 'timestep',
  isTensor: true,
  type,
  shape,
});

test('feeds each declared dtype with the right typed array', () => {
  assert.deepEqual(
    tensorFor(meta('int64'), [999.7, -1.5], [2], 'unet').data,
    BigInt64Array.from([999n, -1n]),
  );
  assert.deepEqual(tensorFor(meta('int32'), [499.5], [1], 'unet').data, Int32Array.from([499]));
  assert.deepEqual(
    tensorFor(meta('float32'), [499.5], [1], 'unet').data,
    Float32Array.from([499.5]),
  );
  assert.deepEqual(tensorFor(meta('float64'), [0.1], [1], 'unet').data, Float64Array.from([0.1]));
  assert.deepEqual(
    tensorFor(meta('float16'), [1, 2], [2], 'unet').data,
    Uint16Array.from([0x3c00, 0x4000]),
  );
});

test('a scalar declaration gets a rank-0 tensor', () => {
  const tensor = tensorFor(meta('float32', []), [999], [], 'unet');
  assert.deepEqual(tensor.dims, []);
  assert.equal(tensor.size, 1);
});

test('float32 latents are handed over without a copy', () => {
  const latents = new Float32Array(16);
  assert.equal(tensorFor(meta('float32'), latents, [1, 4, 2, 2], 'unet').data, latents);
});

test('shared-memory input is copied into memory onnxruntime accepts, values intact', () => {
  const photo = new Float32Array(new SharedArrayBuffer(48)).map((_, i) => i / 7);
  const data = tensorFor(meta('float32'), photo, [1, 3, 2, 2], 'vae_encoder').data;
  assert.ok(data instanceof Float32Array && !(data.buffer instanceof SharedArrayBuffer));
  assert.deepEqual(Array.from(data), Array.from(photo));
});

test('a non-numeric input type is a typed error naming the file', () => {
  assert.throws(
    () => tensorFor(meta('string'), [1], [1], 'unet/model.onnx'),
    (error: unknown) =>
      error instanceof EngineError &&
      error.code === 'MODEL_IO_MISMATCH' &&
      /unet\/model\.onnx/.test(error.message),
  );
});

test('float outputs read back as float32 whatever their precision', () => {
  assert.deepEqual(
    float32Of(new Tensor('float16', Uint16Array.from([0x3800]), [1]), 'x'),
    Float32Array.from([0.5]),
  );
  assert.deepEqual(
    float32Of(new Tensor('float64', Float64Array.from([0.25]), [1]), 'x'),
    Float32Array.from([0.25]),
  );
  assert.throws(() => float32Of(new Tensor('int32', Int32Array.from([1]), [1]), 'x'), EngineError);
});
