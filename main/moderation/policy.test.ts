import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MODERATION_POLICY, decide, type NsfwScores } from './policy.ts';

const scores = (s: Partial<NsfwScores>): NsfwScores => ({
  Drawing: 0,
  Hentai: 0,
  Neutral: 0,
  Porn: 0,
  Sexy: 0,
  ...s,
});

test('the worst safe portrait measured (MobileNetV2Mid) is allowed as upload and as avatar', () => {
  // e2e/photos/close/sample4-face4.jpg, a clothed close-up: Porn 0.71, argmax "Porn".
  const closeUp = scores({ Porn: 0.707, Neutral: 0.228, Drawing: 0.051, Hentai: 0.011 });
  assert.equal(decide(closeUp, 'upload').allowed, true);
  assert.equal(decide(closeUp, 'avatar').allowed, true);
});

test('Sexy, Neutral and Drawing never refuse, however confident', () => {
  for (const cls of ['Sexy', 'Neutral', 'Drawing'] as const) {
    assert.equal(decide(scores({ [cls]: 1 }), 'upload').allowed, true, cls);
    assert.equal(decide(scores({ [cls]: 1 }), 'avatar').allowed, true, cls);
  }
});

test('clearly explicit scores are refused with a reason naming the class and score', () => {
  const verdict = decide(scores({ Porn: 0.97, Sexy: 0.03 }), 'upload');
  assert.equal(verdict.allowed, false);
  assert.match(verdict.reason ?? '', /Porn score 0\.97/);
  assert.equal(decide(scores({ Hentai: 0.95, Drawing: 0.05 }), 'upload').allowed, false);
  assert.match(decide(scores({ Hentai: 0.95 }), 'avatar').reason ?? '', /Hentai/);
});

test('explicit content split between Porn and Hentai is refused on their sum', () => {
  const split = scores({ Porn: 0.5, Hentai: 0.45, Sexy: 0.05 });
  const verdict = decide(split, 'upload');
  assert.equal(verdict.allowed, false);
  assert.match(verdict.reason ?? '', /Porn \+ Hentai score 0\.95/);
});

test('thresholds are inclusive and avatars are held to the stricter line', () => {
  const { upload, avatar } = MODERATION_POLICY;
  assert.equal(decide(scores({ Porn: upload.porn }), 'upload').allowed, false);
  assert.equal(decide(scores({ Porn: upload.porn - 0.01 }), 'upload').allowed, true);
  assert.ok(avatar.porn <= upload.porn && avatar.hentai <= upload.hentai);
  assert.ok(avatar.explicit <= upload.explicit);
  const between = scores({ Hentai: avatar.hentai, Neutral: 1 - avatar.hentai });
  assert.equal(decide(between, 'upload').allowed, true);
  assert.equal(decide(between, 'avatar').allowed, false);
});

test('every verdict carries the scores, for the audit log', () => {
  const s = scores({ Neutral: 0.9, Sexy: 0.1 });
  assert.deepEqual(decide(s, 'upload'), { allowed: true, scores: s });
  assert.equal(decide(scores({ Porn: 0.99 }), 'avatar').scores.Porn, 0.99);
});

test('missing or non-finite scores fail closed', () => {
  const broken = scores({ Porn: Number.NaN, Neutral: 1 });
  const verdict = decide(broken, 'upload');
  assert.equal(verdict.allowed, false);
  assert.match(verdict.reason ?? '', /no usable scores/);
});
