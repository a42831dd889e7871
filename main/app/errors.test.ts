import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError } from '../api/contract.ts';
import { EngineError } from '../engine/errors.ts';
import { JobError } from '../jobs/errors.ts';
import { ModelError } from '../models/errors.ts';
import { StoreError } from '../store/index.ts';
import { StyleError } from '../styles/errors.ts';
import { toApiError } from './errors.ts';

test('typed errors keep their human message under the api code', () => {
  const cases: [Error, string][] = [
    [
      new StoreError('DISK_FULL', 'The disk is full while saving an image: free some space.'),
      'STORAGE',
    ],
    [new StoreError('FILE_NOT_FOUND', 'No image "x".'), 'NOT_FOUND'],
    [new ModelError('NO_MODEL_INSTALLED', 'no model is installed: install one'), 'NO_MODEL'],
    [new ModelError('MODEL_NOT_INSTALLED', 'no installed model "x"'), 'NOT_FOUND'],
    [new EngineError('MODEL_FILE_CORRUPT', 'unet/model.onnx is truncated'), 'MODEL_INVALID'],
    [new StyleError('UNKNOWN_STYLE', 'unknown style "vaporwave"'), 'BAD_REQUEST'],
    [new JobError('BAD_REQUEST', 'count must be a whole number'), 'BAD_REQUEST'],
  ];
  for (const [error, code] of cases) {
    assert.deepEqual(toApiError(error).toJSON(), { code, message: error.message });
  }
});

test('a quota refusal says when the next run is allowed', () => {
  const error = toApiError(new StoreError('QUOTA_EXCEEDED', 'One run a day.', 1_700_000_000_000));
  assert.deepEqual(error.toJSON(), {
    code: 'QUOTA_EXCEEDED',
    message: 'One run a day.',
    nextAllowedAt: 1_700_000_000_000,
  });
});

test('refused photos carry every verdict, without the moderation scores', () => {
  const moderation = { allowed: true, scores: {} } as never;
  const error = toApiError(
    new JobError('PHOTOS_REFUSED', 'replace "b.jpg"', [
      { name: 'a.jpg', ok: true, moderation },
      { name: 'b.jpg', ok: false, code: 'NO_FACE', message: 'no face in "b.jpg"', moderation },
    ]),
  );
  assert.deepEqual(error.verdicts, [
    { name: 'a.jpg', ok: true },
    { name: 'b.jpg', ok: false, code: 'NO_FACE', message: 'no face in "b.jpg"' },
  ]);
});

test('an ApiError passes through untouched', () => {
  const error = new ApiError('RUN_IN_PROGRESS', 'busy');
  assert.equal(toApiError(error), error);
});

test('anything else is INTERNAL with a generic message; the detail goes to stderr only', (t) => {
  const logged = t.mock.method(console, 'error', () => undefined);
  const error = toApiError(new Error('ENOENT: /home/me/.secret/key'));
  assert.equal(error.code, 'INTERNAL');
  assert.doesNotMatch(error.message, /home|secret|ENOENT/);
  assert.match(String(logged.mock.calls[0]?.arguments[1]), /\.secret/);
});
