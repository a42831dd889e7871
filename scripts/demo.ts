import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EngineClient } from '../main/engine/engine-client.ts';
import { loadImageTensor, tensorToPng } from '../main/engine/image.ts';
import { writeFile } from 'node:fs/promises';
import { fixtureModel } from './fixtures/cache.ts';

/**
 * The main job on a fresh machine with no model downloaded: builds the tiny SD-Turbo-shaped
 * fixture locally and runs the real engine (worker thread, onnxruntime, scheduler, VAE) on a real
 * photo. Its weights are random, so the picture is noise-like: install a real model for avatars.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const photo = path.join(root, 'node_modules/@vladmandic/face-api/demo/sample1.jpg');
const outDir = path.join(root, 'out');

const model = await fixtureModel('turbo');
const size = 256;
const engine = new EngineClient();
try {
  const info = await engine.load({ dir: model, provider: 'auto' });
  console.log(
    `model ${path.relative(root, model)} on ${info.provider}` +
      info.fallbacks.map((f) => ` (${f.provider} not used: ${f.reason})`).join(''),
  );
  const image = await loadImageTensor(photo, size);
  await mkdir(outDir, { recursive: true });
  for (const seed of [1, 2, 3]) {
    const result = await engine.img2img({
      image,
      size,
      prompt: 'a person, watercolour portrait',
      strength: 0.5,
      steps: 2,
      guidance: 0,
      seed,
    });
    const out = path.join(outDir, `demo-${seed}.png`);
    await writeFile(out, await tensorToPng(result.image, size, size));
    console.log(
      `wrote ${path.relative(root, out)} in ${(result.timings.totalMs / 1000).toFixed(2)} s (${result.unetCalls} UNet call)`,
    );
  }
} finally {
  await engine.close();
}
