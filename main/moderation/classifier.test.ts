import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { loadModerator, type Moderator } from './classifier.ts';
import { MODERATION_POLICY, NSFW_CLASSES, decide } from './policy.ts';

const photos = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../e2e/photos');
const safePortraits = ['portraits', 'close'].flatMap((dir) =>
  readdirSync(path.join(photos, dir))
    .sort()
    .map((f) => path.join(photos, dir, f)),
);

let moderator: Moderator;
before(async () => {
  moderator = await loadModerator();
});

test('the policy model is the one loaded by default, and loading again reuses it', async () => {
  assert.equal(moderator.model, MODERATION_POLICY.model);
  assert.equal(await loadModerator(), moderator);
});

test('44 real clothed portraits and close-ups pass as uploads and as avatars', async () => {
  assert.equal(safePortraits.length, 44);
  for (const file of safePortraits) {
    const scores = await moderator.classify(readFileSync(file));
    const sum = NSFW_CLASSES.reduce((total, c) => total + scores[c], 0);
    assert.ok(Math.abs(sum - 1) < 1e-3, `${file}: scores sum to ${sum}`);
    for (const target of ['upload', 'avatar'] as const) {
      const verdict = decide(scores, target);
      assert.equal(verdict.allowed, true, `${path.basename(file)} as ${target}: ${verdict.reason}`);
    }
  }
});

test('decoded pixels and the encoded file get the same scores', async () => {
  const file = readFileSync(safePortraits[0]!);
  const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
  const fromPixels = await moderator.classify({ data, width: info.width, height: info.height });
  const fromFile = await moderator.classify(file);
  for (const c of NSFW_CLASSES) assert.ok(Math.abs(fromPixels[c] - fromFile[c]) < 1e-4, c);
});
