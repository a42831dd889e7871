/**
 * A model folder whose tokenizer transformers 5 saved (tokenizer.json + tokenizer_config.json, no
 * vocab.json or merges.txt) loads and runs through the engine exactly as the classic folder does.
 */
import assert from 'node:assert/strict';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { fixtureModel } from '../../../scripts/fixtures/cache.ts';
import { Engine } from '../engine.ts';
import { isEngineError } from '../errors.ts';
import { readModelFolder } from '../model-folder.ts';
import { testRequest } from '../../testing/engine/img2img-request.ts';
import { copyOfFixture } from '../../testing/engine/model-copies.ts';
import { writeTransformers5Tokenizer } from '../../testing/engine/transformers5-tokenizer.ts';
import type { Img2ImgResult } from '../types.ts';

const request = testRequest({ prompt: 'a watercolor portrait of a person, highly detailed!!' });

async function run(dir: string, prompt = request.prompt): Promise<Img2ImgResult> {
  const engine = new Engine();
  try {
    await engine.load({ dir });
    return await engine.img2img({ ...request, prompt });
  } finally {
    await engine.close();
  }
}

test('a model folder with a transformers 5 tokenizer runs and gives the classic latents', async () => {
  const classic = await fixtureModel('turbo');
  const dir = await copyOfFixture('turbo');
  const tokenizer = path.join(dir, 'tokenizer');
  await rm(tokenizer, { recursive: true });
  await writeTransformers5Tokenizer(path.join(classic, 'tokenizer'), tokenizer, 'pairs');
  assert.deepEqual((await readdir(tokenizer)).sort(), ['tokenizer.json', 'tokenizer_config.json']);

  const expected = await run(classic);
  assert.deepEqual((await run(dir)).latents, expected.latents);
  // Another prompt moves the latents, so the match above is the tokenizer's doing.
  assert.notDeepEqual((await run(dir, 'a pencil sketch')).latents, expected.latents);
});

test('a tokenizer folder with neither layout is refused, naming both', async () => {
  const dir = await copyOfFixture('turbo');
  await rm(path.join(dir, 'tokenizer/vocab.json'));
  await assert.rejects(readModelFolder(dir), (error) => {
    assert.ok(isEngineError(error));
    assert.equal(error.code, 'MODEL_FILE_MISSING');
    assert.match(error.message, /^tokenizer\/vocab\.json is missing from the model folder /);
    assert.match(error.message, /needs vocab\.json and merges\.txt, or tokenizer\.json$/);
    return true;
  });
});
