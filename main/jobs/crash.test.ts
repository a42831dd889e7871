import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fixtureModel } from '../../scripts/fixtures/cache.ts';
import { imagesDir } from '../store/data-folder.ts';
import { openStore } from '../store/index.ts';
import { findPlaintextImages, integrityCheck, tempDataDir } from '../testing/store.ts';

const PHOTOS = ['sample1-face1.jpg', 'sample2-face2.jpg', 'sample3-face1.jpg'].map(
  (f) => `e2e/photos/portraits/${f}`,
);

test('the real avatar job killed with SIGKILL mid-run: the next start leaves no image and a sound database', async (t) => {
  const dataDir = tempDataDir(t);
  const out = tempDataDir(t);
  const args = [
    '--import',
    'tsx',
    'main/cli/avatars.ts',
    '--model',
    await fixtureModel('turbo'),
    '--photos',
    ...PHOTOS,
    '--styles',
    'anime,clay,pixel-art',
    '--count',
    '30',
    '--size',
    '64',
    '--out',
    out,
  ];
  const child = spawn(process.execPath, args, {
    env: { ...process.env, AVATAR_STUDIO_DATA: dataDir },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = once(child, 'exit');
  for await (const line of createInterface({ input: child.stderr })) {
    if (line.startsWith('avatar 6/30')) break; // five avatars are encrypted in the store by now
  }
  child.kill('SIGKILL');
  const [, signal] = await exited;
  assert.equal(signal, 'SIGKILL', 'the job ended before it could be killed');
  assert.ok(
    readdirSync(imagesDir(dataDir)).length >= 3 + 5,
    'the kill left the run’s files behind',
  );

  const store = openStore({ dataDir, sweepOnTimer: false });
  t.after(() => store.close());
  assert.equal(store.startupSweep.crashedRuns, 1);
  assert.deepEqual(readdirSync(imagesDir(dataDir)), [], 'an image file survived the sweep');
  assert.deepEqual(findPlaintextImages(dataDir), []);
  assert.equal(integrityCheck(dataDir), 'ok');
});
