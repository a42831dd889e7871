import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fixtureModel } from '../../scripts/fixtures/cache.ts';
import { Engine } from './engine.ts';
import { EngineClient } from './engine-client.ts';
import { EngineError } from './errors.ts';
import { SeededNoise } from './random.ts';
import {
  TEST_SIZE as SIZE,
  testImage as image,
  testRequest as request,
} from '../testing/engine/img2img-request.ts';

const isAborted = (error: unknown): boolean =>
  error instanceof EngineError && error.code === 'ABORTED';

describe('img2img in process', () => {
  const engine = new Engine();
  before(async () => {
    await engine.load({ dir: await fixtureModel('turbo') });
  });
  after(() => engine.close());

  test('same seed gives identical latents and image; another seed differs', async () => {
    const first = await engine.img2img(request());
    const again = await engine.img2img(request());
    const other = await engine.img2img(request({ seed: 43 }));
    assert.deepEqual(again.latents, first.latents);
    assert.deepEqual(again.image, first.image);
    assert.notDeepEqual(other.latents, first.latents);
    assert.equal(first.image.length, 3 * SIZE * SIZE);
    assert.equal(first.latents.length, 4 * (SIZE / 8) ** 2);
    assert.ok(first.image.every(Number.isFinite));
  });

  test('SD-Turbo img2img (2 steps, strength 0.5) is one UNet call with batch 1', async () => {
    const result = await engine.img2img(request());
    assert.equal(result.unetCalls, 1);
  });

  test('custom timesteps: the spaced schedule given as a list gives the same bits; one timestep is one call', async () => {
    const spaced = await engine.img2img(request({ steps: 3, strength: 0.67 }));
    const listed = await engine.img2img(
      request({ steps: 3, timesteps: [999, 666, 332], strength: 0.67 }),
    );
    assert.equal(spaced.unetCalls, 2);
    assert.deepEqual(listed.latents, spaced.latents);
    const one = await engine.img2img(request({ steps: 1, timesteps: [666], strength: 1 }));
    assert.equal(one.unetCalls, 1);
    assert.notDeepEqual(one.latents, spaced.latents);
  });

  test('each prompt and each photo is encoded once per model', async () => {
    const before = await engine.stats();
    const photo = image.map((v) => -v);
    for (const seed of [1, 2, 3])
      await engine.img2img(request({ image: photo, prompt: 'pencil sketch', seed }));
    const after = await engine.stats();
    assert.equal(after.textEncoderCalls - before.textEncoderCalls, 1);
    assert.equal(after.imageEncoderCalls - before.imageEncoderCalls, 1);
    assert.equal(after.decoderCalls - before.decoderCalls, 3);
  });

  test('a keyed photo is encoded once per key and size, and keys never meet hashed photos', async () => {
    const before = await engine.stats();
    const photo = image.map((v) => v * 0.5);
    const larger = new SeededNoise(8).normal(3 * 128 * 128).map((v) => Math.tanh(v));
    for (const seed of [1, 2])
      await engine.img2img(request({ image: photo, imageKey: 'p1', seed }));
    const keyed = await engine.img2img(request({ image: photo, imageKey: 'p1' }));
    await engine.img2img(request({ image: larger, size: 128, imageKey: 'p1' }));
    const hashed = await engine.img2img(request({ image: photo }));
    const after = await engine.stats();
    assert.equal(after.imageEncoderCalls - before.imageEncoderCalls, 3);
    assert.deepEqual(keyed.image, hashed.image);
  });

  test('given noise, a latent_parameters encoder contributes its mean: the seed no longer matters', async () => {
    const noise = new SeededNoise(99).normal(4 * (SIZE / 8) ** 2);
    const a = await engine.img2img(request({ noise, seed: 1 }));
    const b = await engine.img2img(request({ noise, seed: 2 }));
    assert.deepEqual(a.latents, b.latents);
  });

  test('progress is reported after every step', async () => {
    const seen: number[] = [];
    await engine.img2img(request({ steps: 4, strength: 1 }), {
      onProgress: (p) => seen.push(p.step * 10 + p.steps),
    });
    assert.deepEqual(seen, [14, 24, 34, 44]);
  });

  test('an abort stops before the next UNet call', async () => {
    const controller = new AbortController();
    const before = await engine.stats();
    await assert.rejects(
      engine.img2img(request({ steps: 4, strength: 1 }), {
        signal: controller.signal,
        onProgress: () => controller.abort(),
      }),
      isAborted,
    );
    assert.equal((await engine.stats()).unetCalls - before.unetCalls, 1);
  });

  test('steps × strength below one is refused, not silently skipped', async () => {
    await assert.rejects(engine.img2img(request({ steps: 1, strength: 0.5 })), (error: unknown) => {
      return error instanceof EngineError && error.code === 'BAD_ARGUMENT';
    });
  });

  test('malformed requests are refused with a reason', async () => {
    for (const bad of [
      { size: 60 },
      { image: new Float32Array(10) },
      { strength: 0 },
      { steps: 0 },
      { guidance: -1 },
      { noise: new Float32Array(3) },
      { steps: 2, timesteps: [499] },
      { steps: 1, timesteps: [499], scheduler: 'ddim' as const },
      { steps: 2, timesteps: [249, 749] },
    ]) {
      await assert.rejects(
        engine.img2img(request(bad)),
        (error: unknown) => error instanceof EngineError && error.code === 'BAD_ARGUMENT',
        JSON.stringify(Object.keys(bad)),
      );
    }
  });
});

describe('classifier-free guidance', () => {
  const engine = new Engine();
  before(async () => {
    await engine.load({ dir: await fixtureModel('sd15') });
  });
  after(() => engine.close());

  test('guidance > 1 batches uncond and cond: one text-encoder call for both, one UNet call per step', async () => {
    const before = await engine.stats();
    const guided = await engine.img2img(
      request({
        guidance: 7.5,
        steps: 5,
        strength: 0.6,
        negativePrompt: 'blurry',
        scheduler: 'ddim',
      }),
    );
    const after = await engine.stats();
    assert.equal(after.textEncoderCalls - before.textEncoderCalls, 1);
    assert.equal(guided.unetCalls, 3);
    const unguided = await engine.img2img(
      request({
        guidance: 1,
        steps: 5,
        strength: 0.6,
        negativePrompt: 'blurry',
        scheduler: 'ddim',
      }),
    );
    assert.notDeepEqual(unguided.latents, guided.latents);
  });

  test('the negative prompt changes the result only under guidance', async () => {
    const run = (negativePrompt: string, guidance: number) =>
      engine.img2img(
        request({ guidance, steps: 5, strength: 0.6, negativePrompt, scheduler: 'ddim' }),
      );
    assert.notDeepEqual((await run('blurry', 7.5)).latents, (await run('ugly', 7.5)).latents);
    assert.deepEqual((await run('blurry', 0)).latents, (await run('ugly', 0)).latents);
  });
});

describe('every scheduler runs on the variants that need it', () => {
  const cases = [
    ['lcm', 'lcm', 8],
    ['turbo-fp16-io', 'euler', 0],
    ['turbo-fp16', 'euler-a', 0],
    ['sd15-optimum', 'ddim', 7.5],
    ['sd15-int8', 'ddim', 0],
    ['turbo-taesd', 'euler', 0],
  ] as const;
  for (const [variant, scheduler, guidance] of cases) {
    test(`${variant} with ${scheduler}`, async () => {
      const engine = new Engine();
      try {
        await engine.load({ dir: await fixtureModel(variant) });
        const result = await engine.img2img(
          request({ scheduler, guidance, steps: 4, strength: 0.75 }),
        );
        assert.ok(result.latents.every(Number.isFinite));
        assert.ok(result.image.every(Number.isFinite));
        assert.deepEqual(
          (await engine.img2img(request({ scheduler, guidance, steps: 4, strength: 0.75 }))).image,
          result.image,
        );
      } finally {
        await engine.close();
      }
    });
  }
});

describe('the engine in a worker thread', () => {
  const client = new EngineClient();
  const local = new Engine();
  before(async () => {
    const dir = await fixtureModel('turbo');
    await Promise.all([client.load({ dir }), local.load({ dir })]);
  });
  after(() => Promise.all([client.close(), local.close()]));

  test('gives the same bits as the engine in process, with progress', async () => {
    const steps: number[] = [];
    const remote = await client.img2img(request({ steps: 3, strength: 1 }), {
      onProgress: (p) => steps.push(p.step),
    });
    const inProcess = await local.img2img(request({ steps: 3, strength: 1 }));
    assert.deepEqual(remote.image, inProcess.image);
    assert.deepEqual(steps, [1, 2, 3]);
  });

  test('an abort crosses the thread and stops the run', async () => {
    // Aborting from onProgress would race the worker: on a busy machine it can finish all steps
    // before this thread reads the first progress message. An abort posted right behind the
    // request reaches the worker at its first await, so the run must stop early whatever the load.
    const controller = new AbortController();
    const steps: number[] = [];
    const running = client.img2img(request({ steps: 8, strength: 1 }), {
      signal: controller.signal,
      onProgress: (p) => steps.push(p.step),
    });
    controller.abort();
    await assert.rejects(running, isAborted);
    assert.ok(steps.length < 8, `ran ${steps.length} of 8 steps`);
    // The worker is still good for the next request.
    assert.equal((await client.img2img(request())).unetCalls, 1);
  });

  test('errors keep their code and file across the thread', async () => {
    const other = new EngineClient();
    try {
      await assert.rejects(other.load({ dir: '/nonexistent/model' }), (error: unknown) => {
        return (
          error instanceof EngineError &&
          error.code === 'MODEL_FOLDER_INVALID' &&
          error.file === '/nonexistent/model'
        );
      });
    } finally {
      await other.close();
    }
  });
});
