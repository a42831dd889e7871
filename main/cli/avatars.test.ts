import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { fixtureModel } from '../../scripts/fixtures/cache.ts';

const run = promisify(execFile);
const PHOTOS = [
  'portraits/sample1-face1.jpg',
  'portraits/sample2-face2.jpg',
  'portraits/sample3-face1.jpg',
].map((p) => path.join('e2e/photos', p));
let work: string;
let model: string;

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** `npm run avatars -- …` with its own data folder, optionally inside a network namespace with no interface up. */
async function avatars(args: string[], dataDir: string, isolated = false): Promise<Outcome> {
  const command = isolated
    ? (['unshare', ['--net', 'npm', 'run', '--silent', 'avatars', '--', ...args]] as const)
    : (['npm', ['run', '--silent', 'avatars', '--', ...args]] as const);
  try {
    const { stdout, stderr } = await run(command[0], [...command[1]], {
      encoding: 'utf8',
      env: { ...process.env, AVATAR_STUDIO_DATA: dataDir },
      maxBuffer: 16 << 20,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as Outcome;
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

function canIsolateNetwork(): boolean {
  try {
    execFileSync('unshare', ['--net', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'avatar-cli-'));
  model = await fixtureModel('turbo');
});
after(() => rm(work, { recursive: true, force: true }));

describe('npm run avatars', () => {
  test('--list-styles --json prints the catalogue', async () => {
    const result = await avatars(['--list-styles', '--json'], path.join(work, 'data-list'));
    assert.equal(result.code, 0, result.stderr);
    const styles = JSON.parse(result.stdout) as { id: string; name: string }[];
    assert.ok(styles.length >= 12);
    assert.ok(styles.every((s) => typeof s.id === 'string' && typeof s.name === 'string'));
  });

  test(
    "a run writes PNGs and a manifest, needs no network, and the day's quota then refuses a second run",
    { skip: !canIsolateNetwork() && 'unshare --net is not permitted here' },
    async () => {
      const data = path.join(work, 'data-run');
      const out = path.join(work, 'out');
      const args = [
        '--model',
        model,
        '--photos',
        ...PHOTOS,
        '--styles',
        'anime,clay',
        '--count',
        '4',
        '--seed',
        '3',
        '--size',
        '64',
        '--out',
        out,
        '--json',
      ];
      const result = await avatars(args, data, true);
      assert.equal(result.code, 0, result.stderr);
      const manifest = JSON.parse(result.stdout) as {
        avatars: { file: string; styleId: string; seed: number; identity: number | null }[];
        runId: string;
      };
      assert.equal(manifest.avatars.length, 4);
      const files = (await readdir(out)).sort();
      assert.deepEqual(files, [
        'avatar-01-anime.png',
        'avatar-02-clay.png',
        'avatar-03-anime.png',
        'avatar-04-clay.png',
        'manifest.json',
      ]);
      assert.deepEqual(
        JSON.parse(await readFile(path.join(out, 'manifest.json'), 'utf8')),
        manifest,
      );
      assert.deepEqual(manifest.avatars.map((a) => a.seed).sort(), [3, 4, 5, 6]);

      const again = await avatars(args, data);
      assert.notEqual(again.code, 0);
      assert.match(again.stderr, /error: .*(next|tomorrow|allowed)/i);
    },
  );

  test('refused photos: non-zero exit and one message per photo naming it', async () => {
    const photos = [
      PHOTOS[0]!,
      'e2e/photos/no-face/room-background.jpg',
      'e2e/photos/groups/sample5.jpg',
    ];
    const result = await avatars(
      [
        '--model',
        model,
        '--photos',
        ...photos,
        '--styles',
        'anime',
        '--out',
        path.join(work, 'refused'),
      ],
      path.join(work, 'data-refused'),
    );
    assert.equal(result.code, 1);
    assert.match(result.stderr, /room-background\.jpg: .*face/i);
    assert.match(result.stderr, /sample5\.jpg: /);
  });

  test('without --model it uses the default installed model, and says how to get one when there is none', async () => {
    const result = await avatars(
      ['--photos', ...PHOTOS, '--styles', 'anime', '--out', path.join(work, 'none')],
      path.join(work, 'data-empty'),
    );
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /error: no model is installed: install one \(npm run models -- install sd-turbo\)/,
    );
  });

  test('a photo that does not exist is named', async () => {
    const result = await avatars(
      [
        '--model',
        model,
        '--photos',
        PHOTOS[0]!,
        'nope.jpg',
        PHOTOS[1]!,
        '--styles',
        'anime',
        '--out',
        path.join(work, 'x'),
      ],
      path.join(work, 'data-missing'),
    );
    assert.equal(result.code, 2);
    assert.match(result.stderr, /error: cannot read photo nope\.jpg: no such file/);
  });

  test('a device or an oversize file named as a photo is refused unread', async () => {
    const big = path.join(work, 'big.jpg');
    await writeFile(big, '');
    await truncate(big, 31_000_000);
    for (const [photo, reason] of [
      ['/dev/zero', /cannot read photo \/dev\/zero: it is not a regular file/],
      [big, /cannot read photo .*big\.jpg: it is larger than 30 MB/],
    ] as const) {
      const result = await avatars(
        [
          '--model',
          model,
          '--photos',
          PHOTOS[0]!,
          photo,
          PHOTOS[1]!,
          '--styles',
          'anime',
          '--out',
          path.join(work, 'x'),
        ],
        path.join(work, 'data'),
      );
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, reason);
    }
  });
});
