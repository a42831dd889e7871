/**
 * `models import` of weights as a user runs it: a diffusers folder and a single-file checkpoint
 * built into ONNX graphs here, then `img2img --noise --dump-latents` on the installed folder ends
 * on the latents diffusers' own pipeline computed.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import {
  REFERENCE_DIR,
  type ReferenceModel,
  readReferenceF32,
  referenceCases,
  relativeL2,
} from '../testing/graphs/reference.ts';
import { img2img, models } from '../testing/cli.ts';

/** img2img case 0 of `model` (Euler, 2 steps at 0.5, no guidance) on the installed `dir`. */
async function case0Error(
  dataDir: string,
  model: ReferenceModel,
  dir: string,
  work: string,
): Promise<number> {
  const cases = referenceCases(model) as { prompt: string };
  const latents = path.join(work, `${model}.latents.f32`);
  const reference = path.join(REFERENCE_DIR, model, 'reference');
  const run = await img2img(
    dataDir,
    ...['--model', dir, '--image', path.join(reference, 'image64.png'), '--prompt', cases.prompt],
    ...[
      '--strength',
      '0.5',
      '--steps',
      '2',
      '--guidance',
      '0',
      '--scheduler',
      'euler',
      '--size',
      '64',
    ],
    ...['--autoencoder', 'full', '--noise', path.join(reference, 'noise.f32')],
    ...['--dump-latents', latents, '--out', path.join(work, `${model}.png`)],
  );
  assert.equal(run.code, 0, run.stderr);
  const bytes = await readFile(latents);
  return relativeL2(
    new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4),
    readReferenceF32(model, 'img2img.0.latents.f32'),
  );
}

test('a diffusers folder and a checkpoint import, and img2img ends on diffusers’ latents', async (t) => {
  const work = await mkdtemp(path.join(tmpdir(), 'import-weights-'));
  t.after(() => rm(work, { recursive: true, force: true }));
  const dataDir = path.join(work, 'data');

  const folder = await models(
    dataDir,
    'import',
    path.join(REFERENCE_DIR, 'sd1-tiny/diffusers'),
    '--id',
    'sd1',
    '--json',
  );
  assert.equal(folder.code, 0, folder.stderr);
  const sd1 = JSON.parse(folder.stdout) as { dir: string; family: string; precision: string };
  assert.deepEqual([sd1.family, sd1.precision], ['sd15', 'fp32']);
  assert.match(folder.stderr, /building unet \(2\/4/);

  const single = await models(
    dataDir,
    ...['import', path.join(REFERENCE_DIR, 'sd2-tiny/checkpoint.safetensors'), '--family', 'turbo'],
    ...['--precision', 'fp32', '--json'],
  );
  assert.equal(single.code, 0, single.stderr);
  const sd2 = JSON.parse(single.stdout) as { id: string; dir: string; family: string };
  assert.deepEqual([sd2.id, sd2.family], ['checkpoint', 'turbo']);

  const listed = JSON.parse((await models(dataDir, 'list', '--json')).stdout) as {
    id: string;
    dir: string;
  }[];
  assert.deepEqual(listed.map((m) => m.dir).sort(), [sd1.dir, sd2.dir].sort());

  for (const [model, dir] of [
    ['sd1-tiny', sd1.dir],
    ['sd2-tiny', sd2.dir],
  ] as const) {
    const error = await case0Error(dataDir, model, dir, work);
    t.diagnostic(`${model}: relative L2 ${error.toExponential(2)}`);
    assert.ok(error <= 1e-4, `${model}: relative L2 ${error}`);
  }
});

test('int8 and fp16 builds install, and what cannot be built is refused by name', async (t) => {
  const work = await mkdtemp(path.join(tmpdir(), 'import-weights-'));
  t.after(() => rm(work, { recursive: true, force: true }));
  const dataDir = path.join(work, 'data');
  const checkpoint = path.join(REFERENCE_DIR, 'sd1-tiny/checkpoint.safetensors');
  for (const precision of ['int8', 'fp16']) {
    const built = await models(
      dataDir,
      'import',
      checkpoint,
      '--id',
      `sd1-${precision}`,
      '--precision',
      precision,
      '--json',
    );
    assert.equal(built.code, 0, built.stderr);
    assert.equal((JSON.parse(built.stdout) as { precision: string }).precision, precision);
  }
  // A LoRA imports as a LoRA (models-lora.test.ts), never built: model flags on one are refused.
  const lora = await models(
    dataDir,
    'import',
    path.join(REFERENCE_DIR, 'sd1-tiny/lora-kohya.safetensors'),
    '--precision',
    'fp16',
  );
  assert.equal(lora.code, 2);
  assert.match(lora.stderr, /is a LoRA: --family and --precision are for models/);
  const listed = JSON.parse((await models(dataDir, 'list', '--json')).stdout) as unknown[];
  assert.equal(listed.length, 2, 'the refused file left nothing installed');
});
