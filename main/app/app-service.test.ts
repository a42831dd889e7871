import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { fixtureModel } from '../../scripts/fixtures/cache.ts';
import type {
  ApiErrorCode,
  ApiEvent,
  ApiEvents,
  PhotoUpload,
  RunFinishedEvent,
  RunRequest,
} from '../api/contract.ts';
import { photo } from '../testing/photos.ts';
import { importModel } from '../models/import.ts';
import type { AppService } from './app-service.ts';
import { createAppService } from './create-app-service.ts';

const SIZE = 64;
const PORTRAITS = [
  'portraits/sample1-face1.jpg',
  'portraits/sample2-face2.jpg',
  'portraits/sample3-face1.jpg',
];
const upload = (name: string): PhotoUpload => {
  const { bytes } = photo(name);
  return { name: path.basename(name), bytes: new Uint8Array(bytes) };
};
const request = (overrides: Partial<RunRequest> = {}): RunRequest => ({
  photos: PORTRAITS.map(upload),
  styleIds: ['anime', 'clay'],
  count: 3,
  ...overrides,
});

const tempDirs: string[] = [];
function tempDir(): string {
  tempDirs.push(mkdtempSync(path.join(tmpdir(), 'avatar-app-')));
  return tempDirs.at(-1)!;
}
after(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** Every event the service sends, and a way to wait for one. */
function recorder(service: AppService) {
  const events: { event: ApiEvent; payload: unknown }[] = [];
  const waiting: { event: ApiEvent; resolve: (payload: unknown) => void }[] = [];
  service.subscribe((event, payload) => {
    events.push({ event, payload });
    for (const w of waiting.filter((w) => w.event === event)) {
      waiting.splice(waiting.indexOf(w), 1);
      w.resolve(payload);
    }
  });
  return {
    of: <E extends ApiEvent>(event: E, runId: string) =>
      events
        .filter((e) => e.event === event && (e.payload as { runId: string }).runId === runId)
        .map((e) => e.payload as ApiEvents[E]),
    next: <E extends ApiEvent>(event: E) =>
      new Promise<ApiEvents[E]>((resolve) =>
        waiting.push({ event, resolve: resolve as (payload: unknown) => void }),
      ),
  };
}

async function rejectsWith(
  pending: Promise<unknown>,
  code: ApiErrorCode,
  message?: RegExp,
): Promise<Record<string, unknown>> {
  let caught: unknown;
  await assert.rejects(pending, (error: unknown) => {
    caught = error;
    return true;
  });
  const shape = (caught as { toJSON(): Record<string, unknown> }).toJSON();
  assert.equal(shape.code, code, String(shape.message));
  if (message) assert.match(String(shape.message), message);
  return shape;
}

describe('no model installed', () => {
  let service: AppService;
  before(async () => {
    service = await createAppService({ dataDir: tempDir(), size: SIZE });
  });
  after(() => service.close());

  test('status says so with model null (the model screen, not an error)', async () => {
    const status = await service.handlers['app:status']({});
    assert.equal(status.model, null);
    assert.equal(status.device, null);
    assert.equal(status.activeRunId, null);
    assert.deepEqual(status.settings, {
      retentionSeconds: 300,
      instantMode: false,
      dailyRunLimit: 1,
    });
    assert.deepEqual(status.quota, { used: 0, limit: 1, nextAllowedAt: null });
    assert.deepEqual(await service.handlers['models:list']({}), []);
  });

  test('a run is refused with NO_MODEL, and uses no quota', async () => {
    await rejectsWith(service.handlers['runs:start'](request()), 'NO_MODEL', /install/);
    assert.equal((await service.handlers['app:status']({})).quota.used, 0);
  });

  test('styles are listed with their previews served by id', async () => {
    const styles = await service.handlers['styles:list']({});
    assert.ok(styles.length >= 5);
    const anime = styles.find((s) => s.id === 'anime')!;
    assert.deepEqual(anime.preview, { kind: 'style', id: 'anime' });
    const preview = await service.image(anime.preview);
    assert.equal(preview.mimeType, 'image/webp');
    assert.equal((await sharp(preview.bytes).metadata()).format, 'webp');
    await rejectsWith(service.image({ kind: 'style', id: 'vaporwave' }), 'NOT_FOUND');
  });

  test('photos:check gives every photo its verdict, naming the one without a face', async () => {
    const report = await service.handlers['photos:check']({
      photos: [upload(PORTRAITS[0]!), upload('no-face/arm-and-skirt.jpg'), upload(PORTRAITS[1]!)],
    });
    assert.deepEqual(
      report.verdicts.map((v) => [v.name, v.ok, v.code]),
      [
        ['sample1-face1.jpg', true, undefined],
        ['arm-and-skirt.jpg', false, 'NO_FACE'],
        ['sample2-face2.jpg', true, undefined],
      ],
    );
    assert.match(report.verdicts[1]!.message!, /arm-and-skirt\.jpg/);
    assert.equal(report.canStart, false);
    assert.match(report.startMessage!, /arm-and-skirt\.jpg/);
    assert.deepEqual(await service.handlers['runs:list']({}), [], 'nothing was stored');
  });
});

describe('with a model', () => {
  let service: AppService;
  let events: ReturnType<typeof recorder>;
  let finished: RunFinishedEvent;
  before(async () => {
    const dataDir = tempDir();
    const source = await fixtureModel('turbo');
    for (const id of ['fixture-a', 'fixture-b']) {
      await importModel({ dataDir, source, id, name: id, link: true });
    }
    service = await createAppService({ dataDir, provider: 'cpu', size: SIZE });
    events = recorder(service);
    await service.handlers['settings:update']({ dailyRunLimit: 100 });
  });
  after(() => service.close());

  test('status names the model; the device is known once it has loaded', async () => {
    const status = await service.handlers['app:status']({});
    assert.equal(status.model?.id, 'fixture-a');
    assert.equal(status.model?.family, 'turbo');
    assert.equal(status.model?.isDefault, true);
    assert.equal(status.device, null, 'loaded lazily, by the first run');
    assert.equal(status.secondsPerAvatar, null, 'no run has measured an avatar yet');
    assert.deepEqual(
      (await service.handlers['models:list']({})).map((m) => [m.id, m.isDefault]),
      [
        ['fixture-a', true],
        ['fixture-b', false],
      ],
    );
  });

  test('a run: answered with its id, then progress, each avatar, and the ranked end', async () => {
    const ended = events.next('run:finished');
    const { runId } = await service.handlers['runs:start'](request());
    assert.equal((await service.handlers['app:status']({})).activeRunId, runId);
    finished = await ended;

    assert.equal(finished.runId, runId);
    assert.equal(finished.cancelled, false);
    assert.equal(finished.error, undefined);
    assert.equal(finished.avatars.length, 3);
    const identities = finished.avatars.map((a) => a.identity ?? Infinity);
    assert.deepEqual(
      identities,
      [...identities].sort((a, b) => a - b),
      'best likeness first',
    );
    assert.deepEqual(new Set(finished.avatars.map((a) => a.styleId)), new Set(['anime', 'clay']));

    const progress = events.of('run:progress', runId);
    assert.ok(progress.some((p) => p.phase === 'generating' && p.current !== undefined));
    assert.equal(progress.at(-1)?.phase, 'done');
    assert.equal(progress.at(-1)?.avatarsDone, 3);
    assert.deepEqual(
      events
        .of('run:avatar', runId)
        .map((e) => e.avatar.id)
        .sort(),
      finished.avatars.map((a) => a.id).sort(),
    );

    const status = await service.handlers['app:status']({});
    assert.equal(status.activeRunId, null);
    assert.equal(status.device?.provider, 'cpu');
    assert.equal(status.activeRunProgress, null);
    assert.ok((status.secondsPerAvatar ?? 0) > 0, 'the next run is estimated from this one');
    assert.equal(status.quota.used, 1);
    assert.deepEqual(await service.handlers['runs:avatars']({ runId }), finished.avatars);
    const run = (await service.handlers['runs:list']({})).find((r) => r.runId === runId);
    assert.equal(run?.status, 'finished');
    assert.equal(run?.avatars, 3);
    assert.ok((run?.secondsUntilDeletion ?? 0) > 0);
  });

  test('avatars are served by id as PNG; other ids are NOT_FOUND', async () => {
    const served = await service.image({ kind: 'avatar', id: finished.avatars[0]!.id });
    assert.equal(served.mimeType, 'image/png');
    const meta = await sharp(served.bytes).metadata();
    assert.deepEqual([meta.format, meta.width], ['png', SIZE]);
    await rejectsWith(service.image({ kind: 'avatar', id: 'a'.repeat(32) }), 'NOT_FOUND');
  });

  test('export: one avatar as a file, several as a zip', async () => {
    const [first, second] = finished.avatars;
    const one = await service.handlers['export:avatars']({
      avatarIds: [first!.id],
      size: 256,
      format: 'png',
      circle: true,
    });
    assert.equal(one.fileName, `avatar-${first!.styleId}-1-256.png`);
    assert.equal(one.mimeType, 'image/png');
    assert.equal((await sharp(one.bytes).metadata()).width, 256);

    const several = await service.handlers['export:avatars']({
      avatarIds: [first!.id, second!.id],
      size: 512,
      format: 'jpeg',
      circle: false,
    });
    assert.equal(several.fileName, 'avatars-512-jpeg.zip');
    assert.equal(several.mimeType, 'application/zip');
    const zip = Buffer.from(several.bytes);
    assert.equal(zip.readUInt32LE(0), 0x04034b50, 'a zip');
    assert.equal(zip.readUInt16LE(zip.length - 12), 2, 'two entries');
  });

  test('refused photos reject the start with every verdict, and cost no quota', async () => {
    const used = (await service.handlers['app:status']({})).quota.used;
    const photos = [
      upload(PORTRAITS[0]!),
      upload('no-face/legs-and-hands.jpg'),
      upload(PORTRAITS[1]!),
    ];
    const error = await rejectsWith(
      service.handlers['runs:start'](request({ photos })),
      'PHOTOS_REFUSED',
      /legs-and-hands\.jpg/,
    );
    const verdicts = error.verdicts as { name: string; ok: boolean; code?: string }[];
    assert.deepEqual(
      verdicts.map((v) => [v.name, v.ok, v.code]),
      [
        ['sample1-face1.jpg', true, undefined],
        ['legs-and-hands.jpg', false, 'NO_FACE'],
        ['sample2-face2.jpg', true, undefined],
      ],
    );
    assert.equal((await service.handlers['app:status']({})).quota.used, used);
    assert.equal((await service.handlers['app:status']({})).activeRunId, null);
  });

  test('an unknown style is a BAD_REQUEST naming it', async () => {
    await rejectsWith(
      service.handlers['runs:start'](request({ styleIds: ['anime', 'vaporwave'] })),
      'BAD_REQUEST',
      /vaporwave/,
    );
  });

  test('one run at a time; cancel stops it, keeping the avatars made', async () => {
    const firstAvatar = events.next('run:avatar');
    const ended = events.next('run:finished');
    const { runId } = await service.handlers['runs:start'](request({ count: 20 }));
    await rejectsWith(service.handlers['runs:start'](request()), 'RUN_IN_PROGRESS');

    await firstAvatar;
    // A page that reloads now shows the counter at once.
    const { activeRunProgress } = await service.handlers['app:status']({});
    assert.equal(activeRunProgress?.runId, runId);
    assert.ok((activeRunProgress?.avatarsDone ?? 0) >= 1);
    assert.equal(activeRunProgress?.avatarsTotal, 20);
    assert.equal(await service.handlers['runs:cancel']({ runId }), null);
    const result = await ended;
    assert.equal(result.cancelled, true);
    assert.ok(result.avatars.length >= 1 && result.avatars.length < 20, `${result.avatars.length}`);
    assert.equal((await service.handlers['app:status']({})).activeRunId, null);
    const run = (await service.handlers['runs:list']({})).find((r) => r.runId === runId);
    assert.deepEqual([run?.status, run?.uploads], ['cancelled', 0], 'uploads shredded at once');
    assert.equal(
      await service.handlers['runs:cancel']({ runId }),
      null,
      'cancelling again is fine',
    );
    await rejectsWith(service.handlers['runs:cancel']({ runId: 'not-a-run' }), 'NOT_FOUND');
  });

  test('delete now: the images are gone, by id and by run', async () => {
    const { runId, avatars } = finished;
    const report = await service.handlers['runs:deleteNow']({ runId });
    assert.deepEqual(report, { runs: 1, files: 3 + 3 });
    await rejectsWith(service.image({ kind: 'avatar', id: avatars[0]!.id }), 'NOT_FOUND');
    await rejectsWith(service.handlers['runs:avatars']({ runId }), 'NOT_FOUND');
    await rejectsWith(
      service.handlers['export:avatars']({
        avatarIds: [avatars[0]!.id],
        size: 256,
        format: 'png',
        circle: false,
      }),
      'NOT_FOUND',
    );
  });

  test('a new default model is used by the next run, loaded afresh', async () => {
    await rejectsWith(
      service.handlers['models:setDefault']({ id: 'missing' }),
      'NOT_FOUND',
      /missing/,
    );
    assert.equal(await service.handlers['models:setDefault']({ id: 'fixture-b' }), null);
    let status = await service.handlers['app:status']({});
    assert.deepEqual(
      [status.model?.id, status.model?.isDefault, status.device],
      ['fixture-b', true, null],
    );

    const ended = events.next('run:finished');
    await service.handlers['runs:start'](request({ count: 1 }));
    assert.equal((await ended).avatars.length, 1);
    status = await service.handlers['app:status']({});
    assert.equal(status.device?.provider, 'cpu');
  });

  test('the daily quota refuses the next run with when it is allowed again', async () => {
    const { quota } = await service.handlers['app:status']({});
    await service.handlers['settings:update']({ dailyRunLimit: quota.used });
    const error = await rejectsWith(service.handlers['runs:start'](request()), 'QUOTA_EXCEEDED');
    assert.ok((error.nextAllowedAt as number) > Date.now());
    const status = await service.handlers['app:status']({});
    assert.equal(status.quota.nextAllowedAt, error.nextAllowedAt);
    assert.equal(status.activeRunId, null);
  });

  test('settings are updated and read back', async () => {
    const settings = await service.handlers['settings:update']({
      retentionSeconds: 60,
      instantMode: true,
    });
    assert.deepEqual(settings, {
      retentionSeconds: 60,
      instantMode: true,
      dailyRunLimit: settings.dailyRunLimit,
    });
    assert.deepEqual((await service.handlers['app:status']({})).settings, settings);
  });
});

describe('a model folder named in the options', () => {
  test('status describes the folder once it has loaded', async () => {
    const service = await createAppService({
      dataDir: tempDir(),
      model: await fixtureModel('turbo'),
      provider: 'cpu',
      size: SIZE,
    });
    try {
      const status = await service.handlers['app:status']({});
      assert.equal(status.model?.id, 'turbo');
      assert.equal(status.model?.family, 'turbo');
      assert.equal(status.model?.precision, 'fp32');
      assert.ok((status.model?.bytes ?? 0) > 0);
      assert.equal(status.device?.provider, 'cpu');
    } finally {
      await service.close();
    }
  });
});
