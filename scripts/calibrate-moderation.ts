/**
 * Reproduces POLICY.md's table: every nsfwjs model on real safe photos, argmax vs this policy.
 *   node --import tsx scripts/calibrate-moderation.ts
 * Slow on purpose (InceptionV3 takes minutes on 2 cores); not part of the test suite.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModerator } from '../main/moderation/classifier.ts';
import {
  NSFW_CLASSES,
  decide,
  type ModerationTarget,
  type NsfwModelName,
  type NsfwScores,
} from '../main/moderation/policy.ts';

const photos = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../e2e/photos');
const faceApiDemo = path.join(
  path.dirname(createRequire(import.meta.url).resolve('@vladmandic/face-api/package.json')),
  'demo',
);
const folder = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.jpg'))
    .sort()
    .map((f) => path.join(dir, f));

const SETS: Record<string, string[]> = {
  'one-face portraits': folder(path.join(photos, 'portraits')),
  'one-face close-ups': folder(path.join(photos, 'close')),
  'group photos': [1, 2, 3, 4, 5, 6].map((i) => path.join(faceApiDemo, `sample${i}.jpg`)),
  'no-face crops': folder(path.join(photos, 'no-face')),
};
const MODELS: NsfwModelName[] = ['MobileNetV2', 'MobileNetV2Mid', 'InceptionV3'];

const argmax = (s: NsfwScores) => NSFW_CLASSES.reduce((a, b) => (s[b] > s[a] ? b : a));
const refused = (all: NsfwScores[], target: ModerationTarget) =>
  all.filter((s) => !decide(s, target).allowed).length;

const rows = [
  '| model | load s | ms/image | photos | argmax "Porn" | max Porn | refused as upload | refused as avatar |',
  '|---|---|---|---|---|---|---|---|',
];
for (const model of MODELS) {
  const t0 = performance.now();
  const moderator = await loadModerator({ model });
  const loadSeconds = ((performance.now() - t0) / 1000).toFixed(1);
  await moderator.classify(readFileSync(SETS['one-face portraits']![0]!)); // first call compiles kernels
  for (const [set, files] of Object.entries(SETS)) {
    const start = performance.now();
    const scores: NsfwScores[] = [];
    for (const file of files) scores.push(await moderator.classify(readFileSync(file)));
    const ms = ((performance.now() - start) / files.length).toFixed(0);
    const n = files.length;
    rows.push(
      `| ${model} | ${loadSeconds} | ${ms} | ${n} ${set} | ${scores.filter((s) => argmax(s) === 'Porn').length}/${n} | ` +
        `${Math.max(...scores.map((s) => s.Porn)).toFixed(2)} | ${refused(scores, 'upload')}/${n} | ${refused(scores, 'avatar')}/${n} |`,
    );
  }
}
console.log(rows.join('\n'));
