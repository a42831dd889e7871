import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { photo } from '../main/testing/photos.ts';
import { loadJobResources } from '../main/jobs/resources.ts';
import { runAvatars } from '../main/jobs/run-avatars.ts';
import { openStore } from '../main/store/index.ts';
import { fixtureModel } from './fixtures/cache.ts';

/**
 * The main job on a fresh machine with no model downloaded: three real photos and two styles
 * through the whole avatar run (intake, quota, engine in its worker, moderation, encrypted store,
 * identity scores) with the tiny SD-Turbo-shaped fixture built locally. Its weights are random, so
 * the avatars are noise-like: install a real model (npm run models -- install sd-turbo) for faces.
 * It uses a throw-away data folder, so it never spends the day's run.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, 'out', 'demo');
const dataDir = await mkdtemp(path.join(tmpdir(), 'avatar-studio-demo-'));
const photos = ['sample1-face1.jpg', 'sample2-face2.jpg', 'sample3-face1.jpg'].map((f) =>
  photo(`portraits/${f}`),
);

const store = openStore({ dataDir, sweepOnTimer: false });
const resources = await loadJobResources({ modelDir: await fixtureModel('turbo'), store });
try {
  console.log(
    `model: tiny turbo fixture on ${resources.model.provider}` +
      resources.model.fallbacks.map((f) => ` (${f.provider} not used: ${f.reason})`).join(''),
  );
  const result = await runAvatars(
    resources,
    { photos, styleIds: ['watercolour', 'pop-art'], count: 6, size: 256, seed: 1, source: 'cli' },
    {
      onAvatar: (avatar) =>
        console.log(`avatar ${avatar.index + 1}/6: ${avatar.styleId} from ${avatar.photo}`),
    },
  );
  await mkdir(outDir, { recursive: true });
  for (const avatar of result.avatars) {
    await writeFile(
      path.join(outDir, `avatar-${avatar.index + 1}-${avatar.styleId}.png`),
      store.readImage(avatar.fileId),
    );
  }
  const seconds = (ms: number) => (ms / 1000).toFixed(1);
  console.log(
    `${result.avatars.length} avatars in ${path.relative(root, outDir)}/ — intake ${seconds(result.timings.intakeMs)} s, generation ${seconds(result.timings.generateMs)} s, likeness ${seconds(result.timings.identityMs)} s; ${result.blocked} blocked by moderation`,
  );
} finally {
  await resources.engine.close();
  store.close();
  await rm(dataDir, { recursive: true, force: true });
}
