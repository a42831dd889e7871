import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EtaEstimator } from './eta.ts';
import { planAvatars, retrySeed } from './plan.ts';

test('30 avatars over 5 styles and 3 photos: 6 per style, 10 per photo, 2 per pair', () => {
  const plan = planAvatars(['a', 'b', 'c', 'd', 'e'], 3, 30, 100);
  assert.equal(plan.length, 30);
  const count = (key: (p: (typeof plan)[number]) => string) =>
    plan.reduce((m, p) => m.set(key(p), (m.get(key(p)) ?? 0) + 1), new Map<string, number>());
  assert.deepEqual([...count((p) => p.styleId).values()], [6, 6, 6, 6, 6]);
  assert.deepEqual([...count((p) => String(p.photo)).values()], [10, 10, 10]);
  assert.ok([...count((p) => `${p.styleId}${p.photo}`).values()].every((n) => n === 2));
  assert.deepEqual(
    plan.map((p) => p.seed),
    Array.from({ length: 30 }, (_, i) => 100 + i),
  );
});

test('an uneven split differs by at most one', () => {
  const plan = planAvatars(['a', 'b'], 3, 7, 0);
  assert.deepEqual(
    plan.map((p) => `${p.styleId}${p.photo}`),
    ['a0', 'b0', 'a1', 'b1', 'a2', 'b2', 'a0'],
  );
});

test('retry seeds differ from every seed of the run and stay 32-bit', () => {
  const seeds = new Set(planAvatars(['a'], 1, 30, 5).map((p) => p.seed));
  for (const attempt of [1, 2]) {
    const seed = retrySeed(7, attempt);
    assert.ok(!seeds.has(seed));
    assert.ok(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32);
  }
  assert.equal(retrySeed(2 ** 32 - 1, 1), (2 ** 32 - 1 + 1_000_003) % 2 ** 32);
});

test('the ETA comes from measured step times and counts retried steps', () => {
  const eta = new EtaEstimator(10);
  assert.equal(eta.secondsLeft(), undefined);
  eta.record(2, 1000); // 0.5 s a step, 8 steps left
  assert.equal(eta.secondsLeft(), 4);
  eta.addSteps(2);
  assert.equal(eta.secondsLeft(), 5);
  eta.record(10, 5000);
  assert.equal(eta.secondsLeft(), 0);
});
