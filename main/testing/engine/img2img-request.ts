import { SeededNoise } from '../../engine/random.ts';
import type { Img2ImgRequest } from '../../engine/types.ts';

/** The side of the test images: the smallest the fixtures run (8 × 8 latents). */
export const TEST_SIZE = 64;

/** A fixed TEST_SIZE × TEST_SIZE RGB image in (−1, 1), CHW: seeded noise through tanh. */
export const testImage = new SeededNoise(7)
  .normal(3 * TEST_SIZE * TEST_SIZE)
  .map((v) => Math.tanh(v));

/** A small img2img request on testImage (2 steps at strength 0.5, no guidance, seed 42). */
export const testRequest = (overrides: Partial<Img2ImgRequest> = {}): Img2ImgRequest => ({
  image: testImage,
  size: TEST_SIZE,
  prompt: 'a person, watercolour portrait',
  strength: 0.5,
  steps: 2,
  guidance: 0,
  seed: 42,
  ...overrides,
});
