import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { encoderModel, type EncoderOutput } from '../../../scripts/fixtures/autoencoder.ts';
import { DEFAULT_SEED, VARIANTS } from '../../../scripts/fixtures/variants.ts';
import { copyOfFixture } from './model-copies.ts';

/**
 * A private copy of the SD 1.5 fixture whose VAE encoder is exported another way, with the same
 * weights: 'sampling' is the `latent_dist.sample()` export that draws its own noise.
 */
export async function sd15WithEncoder(output: EncoderOutput): Promise<string> {
  const dir = await copyOfFixture('sd15');
  const graph = encoderModel(VARIANTS.sd15, DEFAULT_SEED, 'vae', output);
  await writeFile(path.join(dir, 'vae_encoder', 'model.onnx'), graph);
  return dir;
}
