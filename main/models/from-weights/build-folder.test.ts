/**
 * Models built from their weights against diffusers' own numbers: for both reference models,
 * from the diffusers folder and from the single-file checkpoint, each img2img case of
 * diffusers' StableDiffusionImg2ImgPipeline (its noise, the VAE mean) ends on its latents.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { Engine } from '../../engine/engine.ts';
import { loadImageTensor } from '../../engine/image.ts';
import type { SchedulerName } from '../../engine/schedulers/scheduler.ts';
import {
  REFERENCE_DIR,
  type ReferenceModel,
  readReferenceF32,
  referenceCases,
  relativeL2,
} from '../../testing/graphs/reference.ts';
import { buildFromCheckpoint, buildFromDiffusers } from './build-folder.ts';

interface Img2ImgCase {
  scheduler: SchedulerName;
  strength: number;
  steps: number;
  guidance: number;
  negative: string | null;
  output: string;
}

const SOURCES = {
  'the diffusers folder': (model: ReferenceModel, out: string) =>
    buildFromDiffusers(path.join(REFERENCE_DIR, model, 'diffusers'), out),
  'the single-file checkpoint': (model: ReferenceModel, out: string) =>
    buildFromCheckpoint(path.join(REFERENCE_DIR, model, 'checkpoint.safetensors'), out, {
      family: model === 'sd1-tiny' ? 'sd15' : 'turbo',
    }),
};

for (const model of ['sd1-tiny', 'sd2-tiny'] as const) {
  describe(`${model} built from its weights runs diffusers' img2img cases`, () => {
    const cases = referenceCases(model) as { prompt: string; img2img: Img2ImgCase[] };
    for (const [source, build] of Object.entries(SOURCES)) {
      test(`from ${source}`, async (t) => {
        const dir = await mkdtemp(path.join(tmpdir(), 'built-model-'));
        t.after(() => rm(dir, { recursive: true, force: true }));
        await build(model, dir);
        const engine = new Engine();
        t.after(() => engine.close());
        await engine.load({ dir, autoencoder: 'full' });
        const image = await loadImageTensor(
          path.join(REFERENCE_DIR, model, 'reference/image64.png'),
          64,
        );
        for (const c of cases.img2img) {
          const result = await engine.img2img({
            image,
            size: 64,
            prompt: cases.prompt,
            ...(c.negative ? { negativePrompt: c.negative } : {}),
            strength: c.strength,
            steps: c.steps,
            guidance: c.guidance,
            seed: 0,
            scheduler: c.scheduler,
            noise: readReferenceF32(model, 'noise.f32'),
          });
          const error = relativeL2(result.latents, readReferenceF32(model, c.output));
          t.diagnostic(
            `${c.output} (${c.scheduler}, ${c.steps} steps): relative L2 ${error.toExponential(2)}`,
          );
          assert.ok(error <= 1e-4, `${c.output}: relative L2 ${error}`);
        }
      });
    }
  });
}
