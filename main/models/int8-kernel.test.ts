import assert from 'node:assert/strict';
import { test } from 'node:test';
import { int8Weights, multipliesExactly } from './int8-kernel.ts';

test('int8 weights stay within what this CPU multiplies exactly', async (t) => {
  const { limit } = await int8Weights();
  t.diagnostic(`int8 weight limit here: ${limit}`);
  assert.ok(await multipliesExactly(limit));
  // 7-bit weights fit any kernel; the full range only where the probe found no saturation.
  assert.ok(await multipliesExactly(63));
  assert.equal(limit === 127, await multipliesExactly(127));
  assert.equal(await int8Weights(), await int8Weights(), 'probed once');
});
