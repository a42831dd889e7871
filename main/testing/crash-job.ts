/**
 * A stand-in for the generation job, for the crash test: starts a run in the store at
 * AVATAR_STUDIO_DATA, saves real images (sharp-made PNG, JPEG, WebP) as uploads, then avatars in
 * a loop with short sleeps, printing one line per image ("upload 0", "avatar 3") so the test can
 * SIGKILL it mid-run. With the argument `uploads-only` it makes no avatar and waits to be killed.
 *
 * It gives the store's own crash tests precise kill points (mid-write, before the first avatar);
 * main/jobs/crash.test.ts kills the real avatar job the same way.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import sharp from 'sharp';
import { openStore } from '../store/index.ts';
import { sampleImages } from './store.ts';

const MAX_AVATARS = 500;

const store = openStore({ sweepOnTimer: false });
store.updateSettings({ dailyRunLimit: 1000 });
const { png, jpeg, webp } = await sampleImages();
// A larger picture too, so the kill can land in the middle of a write.
const large = await sharp({
  create: { width: 512, height: 512, channels: 3, background: { r: 200, g: 120, b: 40 } },
})
  .png({ compressionLevel: 0 })
  .toBuffer();

const runId = store.startRun({ styles: ['anime', 'watercolour'], photoCount: 3, source: 'cli' });
[png, jpeg, webp].forEach((bytes, i) => {
  store.saveImage(runId, 'upload', bytes);
  console.log(`upload ${i}`);
});
if (process.argv[2] === 'uploads-only') await sleep(60_000);

for (let i = 0; i < MAX_AVATARS; i++) {
  store.saveImage(runId, 'preview', jpeg);
  store.saveImage(runId, 'avatar', i % 2 ? large : png);
  console.log(`avatar ${i}`);
  await sleep(10);
}
store.finishRun(runId);
store.close();
