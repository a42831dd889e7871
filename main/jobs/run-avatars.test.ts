import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { fixtureModel } from '../../scripts/fixtures/cache.ts';
import { photo } from '../testing/photos.ts';
import { openStore, type Store } from '../store/index.ts';
import { findPlaintextImages } from '../testing/store.ts';
import { JobError } from './errors.ts';
import { loadJobResources, type JobResources } from './resources.ts';
import { runAvatars } from './run-avatars.ts';
import type { AvatarRunRequest } from './types.ts';

const PHOTOS = [
  'portraits/sample1-face1.jpg',
  'portraits/sample2-face2.jpg',
  'portraits/sample3-face1.jpg',
].map(photo);
const FIVE_STYLES = ['anime', 'watercolour', 'pixel-art', 'pencil-sketch', 'clay'];
const SIZE = 64;

let dataDir: string;
let store: Store;
let resources: JobResources;

before(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'avatar-jobs-'));
  store = openStore({ dataDir, sweepOnTimer: false });
  store.updateSettings({ dailyRunLimit: 100 });
  resources = await loadJobResources({
    modelDir: await fixtureModel('turbo'),
    provider: 'cpu',
    store,
  });
});
after(async () => {
  await resources.engine.close();
  store.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const request = (overrides: Partial<AvatarRunRequest> = {}): AvatarRunRequest => ({
  photos: PHOTOS,
  styleIds: FIVE_STYLES,
  count: 30,
  seed: 1,
  size: SIZE,
  source: 'cli',
  ...overrides,
});

describe('a 30-avatar run: 5 styles, 3 photos', () => {
  test('encodes each photo once and each style prompt once, and keeps 30 moderated avatars', async () => {
    const before = await resources.engine.stats();
    const progress: number[] = [];
    const result = await runAvatars(resources, request(), {
      onProgress: (p) => progress.push(p.avatarsDone),
    });
    const after = await resources.engine.stats();

    assert.equal(after.imageEncoderCalls - before.imageEncoderCalls, 3);
    assert.equal(after.textEncoderCalls - before.textEncoderCalls, 5);
    assert.equal(after.decoderCalls - before.decoderCalls, 30);
    assert.equal(result.avatars.length, 30);
    assert.equal(result.cancelled, false);
    assert.equal(progress.at(-1), 30);

    // The manifest: every avatar's style, photo and own seed, moderation passed, identity measured.
    assert.deepEqual(
      result.avatars.map((a) => a.seed).sort((a, b) => a - b),
      Array.from({ length: 30 }, (_, i) => 1 + i),
    );
    for (const style of FIVE_STYLES)
      assert.equal(result.avatars.filter((a) => a.styleId === style).length, 6);
    for (const p of PHOTOS)
      assert.equal(result.avatars.filter((a) => a.photo === p.name).length, 10);
    assert.ok(result.avatars.every((a) => a.moderation.allowed && a.retries === 0));
    const identities = result.avatars.map((a) => a.identity ?? Infinity);
    assert.deepEqual(
      identities,
      [...identities].sort((a, b) => a - b),
      'ranked by identity',
    );

    // Kept encrypted in the store, readable by id, deletion scheduled.
    const png = store.readImage(result.avatars[0]!.fileId);
    assert.equal((await sharp(png).metadata()).width, SIZE);
    const run = store.countdown().find((r) => r.id === result.runId);
    assert.equal(run?.avatars, 30);
    assert.equal(run?.uploads, 3);
    assert.ok((run?.secondsUntilDeletion ?? 0) > 0);
    assert.deepEqual(findPlaintextImages(dataDir), []);
  });

  test('the same seed reproduces the same avatar bit for bit', async () => {
    const [a, b] = [
      await runAvatars(resources, request({ count: 2, seed: 9 })),
      await runAvatars(resources, request({ count: 2, seed: 9 })),
    ];
    const bytes = (r: typeof a) =>
      r.avatars.sort((x, y) => x.index - y.index).map((x) => store.readImage(x.fileId));
    assert.deepEqual(bytes(a), bytes(b));
  });
});

describe('cancel and moderation', () => {
  test('cancel mid-run keeps the avatars already finished and shreds the uploads', async () => {
    const controller = new AbortController();
    const result = await runAvatars(resources, request({ count: 10 }), {
      signal: controller.signal,
      onAvatar: (avatar) => {
        if (avatar.index === 2) controller.abort();
      },
    });
    assert.equal(result.cancelled, true);
    assert.ok(
      result.avatars.length >= 3 && result.avatars.length < 10,
      `kept ${result.avatars.length}`,
    );
    for (const avatar of result.avatars) assert.ok(store.readImage(avatar.fileId).length > 0);
    const run = store.countdown().find((r) => r.id === result.runId);
    assert.equal(run?.uploads, 0);
    assert.equal(run?.avatars, result.avatars.length);
  });

  test('a flagged output is never written and is regenerated with a new seed', async () => {
    let avatarsSeen = 0;
    const strict: JobResources = {
      ...resources,
      moderator: {
        // The real classifier, except that the first three avatars it sees score as explicit.
        classify: async (image) => {
          const scores = await resources.moderator.classify(image);
          // Avatars reach it as the engine's pixels; photos are checked at their own, larger size.
          const isAvatar = !Buffer.isBuffer(image) && image.width === SIZE && image.height === SIZE;
          return isAvatar && avatarsSeen++ < 3 ? { ...scores, Porn: 0.99, Neutral: 0.01 } : scores;
        },
      },
    };
    const result = await runAvatars(strict, request({ count: 3, styleIds: ['anime'] }));
    assert.equal(result.blocked, 3);
    assert.equal(result.dropped, 0);
    assert.equal(result.avatars.length, 3);
    assert.equal(
      result.avatars.reduce((n, a) => n + a.retries, 0),
      3,
    );
    const retried = result.avatars.filter((a) => a.retries > 0);
    assert.ok(
      retried.every((a) => a.seed !== 1 + a.index),
      'a retry records its own seed',
    );
    const run = store.countdown().find((r) => r.id === result.runId);
    assert.equal(run?.avatars, 3, 'only the avatars that passed were stored');
  });
});

describe('refusals', () => {
  test('too few good photos: the run does not start, every verdict comes back', async () => {
    const quota = store.quota().used;
    const photos = [PHOTOS[0]!, photo('no-face/room-background.jpg'), PHOTOS[1]!];
    await assert.rejects(runAvatars(resources, request({ photos })), (error: unknown) => {
      assert.ok(error instanceof JobError);
      assert.equal(error.code, 'PHOTOS_REFUSED');
      assert.equal(error.verdicts.length, 3);
      return true;
    });
    assert.equal(store.quota().used, quota, 'no run was charged');
  });

  test('an unknown style is an error naming it', async () => {
    await assert.rejects(
      runAvatars(resources, request({ styleIds: ['anime', 'vaporwave'] })),
      /vaporwave/,
    );
  });
});
