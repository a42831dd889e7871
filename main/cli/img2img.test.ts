import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { fixtureModel } from '../../scripts/fixtures/cache.ts';
import { FIXTURE_VARIANTS, type FixtureVariant } from '../../scripts/fixtures/variants.ts';

const run = promisify(execFile);
const SIZE = 64;
let work: string;
let photo: string;

/** `npm run img2img -- …`, exactly as a user or a check types it. */
async function img2img(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('npm', ['run', '--silent', 'img2img', '--', ...args], {
      encoding: 'utf8',
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** The flags every run below passes: the model, the image, a prompt and the size. */
const baseArgs = (model: string, image = photo, prompt = 'x'): string[] => [
  '--model',
  model,
  '--image',
  image,
  '--prompt',
  prompt,
  '--size',
  String(SIZE),
];

const SCHEDULER: Record<FixtureVariant, string[]> = {
  sd15: ['--scheduler', 'ddim', '--steps', '4'],
  'sd15-optimum': ['--steps', '4', '--guidance', '7.5', '--negative', 'blurry'],
  turbo: [],
  'turbo-fp16': [],
  'turbo-fp16-io': [],
  lcm: ['--steps', '2', '--guidance', '8'],
  'turbo-taesd': [],
  'sd15-int8': ['--steps', '4'],
};

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'avatar-img2img-'));
  photo = path.join(work, 'photo.jpg');
  // A real photo (face-api's demo sample), not square: the CLI must crop it to SIZE × SIZE.
  await sharp('node_modules/@vladmandic/face-api/demo/sample2.jpg')
    .resize(200, 150)
    .jpeg()
    .toFile(photo);
});
after(() => rm(work, { recursive: true, force: true }));

describe('npm run img2img on every fixture variant', () => {
  for (const variant of FIXTURE_VARIANTS) {
    test(`${variant}: a PNG of the right size, byte-identical per seed`, async () => {
      const model = await fixtureModel(variant);
      const common = [...baseArgs(model, photo, 'a person, anime style'), ...SCHEDULER[variant]];
      const outs = ['a', 'b', 'c'].map((name) => path.join(work, `${variant}-${name}.png`));
      const results = [
        await img2img([...common, '--seed', '42', '--out', outs[0]!]),
        await img2img([...common, '--seed', '42', '--out', outs[1]!]),
        await img2img([...common, '--seed', '7', '--out', outs[2]!]),
      ];
      for (const result of results) assert.equal(result.code, 0, result.stderr);
      const [a, b, c] = await Promise.all(outs.map((f) => readFile(f)));
      const meta = await sharp(a).metadata();
      assert.deepEqual([meta.format, meta.width, meta.height], ['png', SIZE, SIZE]);
      assert.ok(a!.equals(b!), 'same seed, same bytes');
      assert.ok(!a!.equals(c!), 'another seed, another image');
    });
  }
});

describe('npm run img2img flags', () => {
  test('--noise fixes the start and --dump-latents writes the final latents as raw float32', async () => {
    const model = await fixtureModel('turbo');
    const noise = path.join(work, 'noise.f32');
    const values = Float32Array.from({ length: 4 * (SIZE / 8) ** 2 }, (_, i) => Math.sin(i));
    await writeFile(noise, Buffer.from(values.buffer));
    const dumps = [path.join(work, 'l1.f32'), path.join(work, 'l2.f32')];
    for (const [i, seed] of ['1', '2'].entries()) {
      const result = await img2img([
        ...baseArgs(model),
        '--seed',
        seed,
        '--noise',
        noise,
        '--dump-latents',
        dumps[i]!,
        '--out',
        path.join(work, `n${i}.png`),
      ]);
      assert.equal(result.code, 0, result.stderr);
    }
    const [first, second] = await Promise.all(dumps.map((f) => readFile(f)));
    assert.equal(first!.length, values.byteLength);
    assert.ok(first!.equals(second!), 'with --noise the result depends on that file alone');
  });

  test('--scheduler pndm, dpm and dpm-karras run SD 1.5, each to its own latents', async () => {
    const model = await fixtureModel('sd15');
    // 4 steps at strength 0.75 run 3; PNDM's repeated timestep adds a UNet call.
    const calls = { ddim: 3, pndm: 4, dpm: 3, 'dpm-karras': 3 };
    const dumps: Buffer[] = [];
    for (const [scheduler, count] of Object.entries(calls)) {
      const dump = path.join(work, `scheduler-${scheduler}.f32`);
      const result = await img2img([
        ...baseArgs(model),
        '--steps',
        '4',
        '--strength',
        '0.75',
        '--scheduler',
        scheduler,
        '--dump-latents',
        dump,
        '--out',
        path.join(work, `scheduler-${scheduler}.png`),
      ]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, new RegExp(`, ${count} UNet calls,`));
      dumps.push(await readFile(dump));
    }
    for (const [i, a] of dumps.entries()) {
      for (const b of dumps.slice(i + 1)) assert.ok(!a.equals(b), 'each scheduler its own result');
    }
  });

  test('an image already size × size is used as is', async () => {
    const model = await fixtureModel('turbo');
    const square = path.join(work, 'square.png');
    await sharp(photo).resize(SIZE, SIZE).png().toFile(square);
    const out = path.join(work, 'square-out.png');
    const result = await img2img([...baseArgs(model, square), '--out', out]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal((await sharp(out).metadata()).width, SIZE);
  });
});

describe('npm run img2img errors: non-zero exit, a one-line reason, no output file', () => {
  const cases: [string, (model: string, out: string) => string[], RegExp][] = [
    [
      'no --model',
      (_m, out) => ['--image', 'x.png', '--prompt', 'p', '--out', out],
      /--model is required/,
    ],
    [
      'a model folder that does not exist',
      (_m, out) => [
        '--model',
        '/nonexistent',
        '--image',
        photo,
        '--prompt',
        'p',
        '--size',
        '64',
        '--out',
        out,
      ],
      /not a model folder/,
    ],
    [
      'an unreadable image',
      (m, out) => [
        '--model',
        m,
        '--image',
        path.join(work, 'missing.jpg'),
        '--prompt',
        'p',
        '--size',
        '64',
        '--out',
        out,
      ],
      /missing\.jpg/,
    ],
    [
      'a device named as the image',
      (m, out) => ['--model', m, '--image', '/dev/zero', '--prompt', 'p', '--out', out],
      /cannot read image \/dev\/zero: it is not a regular file/,
    ],
    [
      'a device named as the noise',
      (m, out) => [
        '--model',
        m,
        '--image',
        photo,
        '--prompt',
        'p',
        '--noise',
        '/dev/zero',
        '--out',
        out,
      ],
      /cannot read noise file \/dev\/zero: it is not a regular file/,
    ],
    [
      'a strength that runs no step',
      (m, out) => [
        '--model',
        m,
        '--image',
        photo,
        '--prompt',
        'p',
        '--size',
        '64',
        '--steps',
        '1',
        '--strength',
        '0.5',
        '--out',
        out,
      ],
      /strength/,
    ],
    [
      'an unknown scheduler',
      (m, out) => [
        '--model',
        m,
        '--image',
        photo,
        '--prompt',
        'p',
        '--scheduler',
        'heun',
        '--out',
        out,
      ],
      /--scheduler must be one of euler, euler-a, ddim, pndm, dpm, dpm-karras, lcm/,
    ],
    [
      'a number that is not one',
      (m, out) => ['--model', m, '--image', photo, '--prompt', 'p', '--seed', 'abc', '--out', out],
      /--seed must be a number/,
    ],
    [
      'a noise file of the wrong size',
      (m, out) => [
        '--model',
        m,
        '--image',
        photo,
        '--prompt',
        'p',
        '--size',
        '64',
        '--noise',
        photo,
        '--out',
        out,
      ],
      /noise/,
    ],
  ];
  for (const [name, args, reason] of cases) {
    test(name, async () => {
      const out = path.join(work, `error-${name.replace(/\W+/g, '-')}.png`);
      const result = await img2img(args(await fixtureModel('turbo'), out));
      assert.notEqual(result.code, 0);
      const firstLine = result.stderr.split('\n').find((line) => line.startsWith('error: '));
      assert.ok(firstLine, `stderr: ${result.stderr}`);
      assert.match(firstLine, reason);
      await assert.rejects(stat(out), 'no output file is left behind');
    });
  }
});
