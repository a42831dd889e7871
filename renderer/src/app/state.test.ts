import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type {
  ApiErrorShape,
  AppStatus,
  AvatarSummary,
  ModelSummary,
  RunCountdown,
  StyleSummary,
} from '../../../main/api/contract.ts';
import * as app from './actions/app.ts';
import * as gallery from './actions/gallery.ts';
import { reducer, type Action } from './actions/index.ts';
import * as models from './actions/models.ts';
import * as photos from './actions/photos.ts';
import * as run from './actions/run.ts';
import * as styles from './actions/styles.ts';
import {
  AVATAR_LIMITS,
  PHOTO_LIMITS,
  STYLE_LIMITS,
  initialState,
  type AppState,
  type LocalPhoto,
} from './state.ts';

/** Every action type the reducer knows; `act` notes those the tests dispatch. */
const ACTION_TYPES = Object.keys({ ...app, ...photos, ...styles, ...run, ...gallery, ...models });
const dispatched = new Set<string>();

function act(state: AppState, ...actions: Action[]): AppState {
  return actions.reduce((next, action) => {
    dispatched.add(action.type);
    return reducer(next, action);
  }, state);
}

const fresh = (): AppState => initialState('system');
const failure = (code: ApiErrorShape['code'], message = `${code} happened.`): ApiErrorShape => ({
  code,
  message,
});

const model: ModelSummary = {
  id: 'sd-turbo',
  name: 'SD-Turbo',
  family: 'turbo',
  precision: 'fp16',
  bytes: 1,
  isDefault: true,
};

const status = (overrides: Partial<AppStatus> = {}): AppStatus => ({
  model,
  modelJob: null,
  device: null,
  settings: { retentionSeconds: 300, instantMode: false, dailyRunLimit: 1 },
  quota: { used: 0, limit: 1, nextAllowedAt: null },
  activeRunId: null,
  activeRunProgress: null,
  secondsPerAvatar: null,
  ...overrides,
});

const photo = (n: number): LocalPhoto => ({
  key: `photo-${n}`,
  name: `${n}.jpg`,
  bytes: new Uint8Array([n]),
  previewUrl: `blob:${n}`,
});
const withPhotos = (n: number, state = fresh()): AppState =>
  act(state, {
    type: 'photosAdded',
    payload: Array.from({ length: n }, (_, i) => photo(i + 1)),
  });

const style = (id: string, lora?: StyleSummary['lora']): StyleSummary => ({
  id,
  name: `Style ${id}`,
  description: '',
  preview: { kind: 'style', id },
  ...(lora && { lora }),
});
const withStyles = (list: StyleSummary[], state = fresh()): AppState =>
  act(state, { type: 'stylesLoaded', payload: list });

const avatar = (id: string, index = 0): AvatarSummary => ({
  id,
  index,
  styleId: 'a',
  photo: '1.jpg',
  seed: index,
  identity: 0.3,
});

const countdown = (runId: string, overrides: Partial<RunCountdown> = {}): RunCountdown => ({
  runId,
  status: 'finished',
  uploads: 0,
  avatars: 2,
  secondsUntilDeletion: 120,
  ...overrides,
});

/** A page with a run going on, as runs:start answered. */
const running = (runId = 'run-1'): AppState =>
  act(fresh(), { type: 'runStarting' }, { type: 'runStarted', payload: runId });

describe('app', () => {
  test('statusLoaded keeps the status and reattaches a run and a model job going on', () => {
    const progress = {
      runId: 'run-9',
      phase: 'generating' as const,
      avatarsDone: 2,
      avatarsTotal: 6,
      blocked: 0,
    };
    const job = { jobId: 'job-1', kind: 'install' as const, catalogId: 'sd-turbo', name: 'SD' };
    const state = act(fresh(), {
      type: 'statusLoaded',
      payload: status({ activeRunId: 'run-9', activeRunProgress: progress, modelJob: job }),
    });
    assert.equal(state.status.state, 'ready');
    assert.equal(state.step, 'generate');
    assert.deepEqual(state.run, { runId: 'run-9', progress, cancelling: false, outcome: null });
    assert.deepEqual(state.modelJob, {
      origin: { kind: 'install', id: 'sd-turbo' },
      jobId: 'job-1',
      name: 'SD',
      progress: null,
      cancelling: false,
    });
  });

  test('statusLoaded leaves a run this page already follows as it is', () => {
    const before = running('mine');
    const state = act(before, {
      type: 'statusLoaded',
      payload: status({ activeRunId: 'other' }),
    });
    assert.equal(state.run, before.run);
    assert.equal(state.step, 'photos');
  });

  test('statusFailed keeps the error for the retry screen', () => {
    const error = failure('INTERNAL');
    assert.deepEqual(act(fresh(), { type: 'statusFailed', payload: error }).status, {
      state: 'error',
      error,
    });
  });

  test('settingsSaved replaces the settings of a loaded status, and nothing before', () => {
    const settings = { retentionSeconds: 60, instantMode: true, dailyRunLimit: 3 };
    const loaded = act(fresh(), { type: 'statusLoaded', payload: status() });
    const saved = act(loaded, { type: 'settingsSaved', payload: settings });
    assert.ok(saved.status.state === 'ready');
    assert.deepEqual(saved.status.value.settings, settings);
    assert.equal(saved.status.value.model, model);
    const early = fresh();
    assert.equal(act(early, { type: 'settingsSaved', payload: settings }), early);
  });

  test('stepChosen goes back to the studio at that step; viewChosen and themeChosen', () => {
    const settings = act(fresh(), { type: 'viewChosen', payload: 'settings' });
    assert.equal(settings.view, 'settings');
    const state = act(settings, { type: 'stepChosen', payload: 'gallery' });
    assert.equal(state.view, 'studio');
    assert.equal(state.step, 'gallery');
    assert.equal(act(state, { type: 'themeChosen', payload: 'dark' }).theme, 'dark');
  });
});

describe('photos', () => {
  test('photosAdded keeps at most the limit and says how many were not added', () => {
    const state = withPhotos(PHOTO_LIMITS.max + 2);
    assert.equal(state.photos.length, PHOTO_LIMITS.max);
    assert.equal(
      state.photoNotice,
      `You can use at most ${PHOTO_LIMITS.max} photos: 2 were not added.`,
    );
    assert.equal(withPhotos(3).photoNotice, null);
  });

  test('photosNotRead names the files that could not be read', () => {
    const state = act(withPhotos(2), { type: 'photosNotRead', payload: ['a.jpg', 'b.png'] });
    assert.equal(state.photoNotice, 'a.jpg, b.png could not be read. Choose them again.');
    assert.equal(state.photos.length, 2);
  });

  test('photoRemoved keeps the photo aside; photoRestored puts it back where it was', () => {
    const removed = act(withPhotos(3), { type: 'photoRemoved', payload: 'photo-2' });
    assert.deepEqual(
      removed.photos.map((p) => p.key),
      ['photo-1', 'photo-3'],
    );
    assert.deepEqual(removed.removedPhoto, { photo: photo(2), index: 1 });
    const restored = act(removed, { type: 'photoRestored' });
    assert.deepEqual(
      restored.photos.map((p) => p.key),
      ['photo-1', 'photo-2', 'photo-3'],
    );
    assert.equal(restored.removedPhoto, null);
  });

  test('photoRestored into a full set only ends the undo', () => {
    const removed = act(withPhotos(PHOTO_LIMITS.max), { type: 'photoRemoved', payload: 'photo-1' });
    const refilled = act(removed, { type: 'photosAdded', payload: [photo(99)] });
    const state = act(refilled, { type: 'photoRestored' });
    assert.equal(state.photos.length, PHOTO_LIMITS.max);
    assert.ok(!state.photos.some((p) => p.key === 'photo-1'));
    assert.equal(state.removedPhoto, null);
  });

  test('removalExpired makes the removal final', () => {
    const removed = act(withPhotos(3), { type: 'photoRemoved', payload: 'photo-1' });
    const state = act(removed, { type: 'removalExpired' });
    assert.equal(state.removedPhoto, null);
    assert.equal(state.photos.length, 2);
  });

  test('photoReplaced swaps the photo in place', () => {
    const state = act(withPhotos(3), {
      type: 'photoReplaced',
      payload: { key: 'photo-2', photo: photo(7) },
    });
    assert.deepEqual(
      state.photos.map((p) => p.key),
      ['photo-1', 'photo-7', 'photo-3'],
    );
  });

  test('intakeChecking, intakeChecked and intakeFailed follow the check', () => {
    const checking = act(withPhotos(3), { type: 'intakeChecking' });
    assert.equal(checking.intake.checking, true);
    const report = { verdicts: [], warnings: [], canStart: true };
    const checked = act(checking, {
      type: 'intakeChecked',
      payload: { keys: ['photo-1'], report },
    });
    assert.deepEqual(checked.intake, {
      checkedKeys: ['photo-1'],
      report,
      checking: false,
      error: null,
    });
    const error = failure('INTERNAL');
    const failed = act(act(checked, { type: 'intakeChecking' }), {
      type: 'intakeFailed',
      payload: error,
    });
    assert.equal(failed.intake.checking, false);
    assert.equal(failed.intake.error, error);
    assert.equal(failed.intake.report, report);
  });
});

describe('styles', () => {
  test('stylesLoading, then stylesLoaded drops a chosen style that can no longer run', () => {
    const chosen = act(withStyles([style('a'), style('b')]), {
      type: 'styleToggled',
      payload: 'b',
    });
    const loading = act(chosen, { type: 'stylesLoading' });
    assert.deepEqual(loading.styles, { state: 'loading' });
    const unavailable = { name: 'clay', scale: 1, available: false };
    const state = withStyles([style('a'), style('b', unavailable)], loading);
    assert.deepEqual(state.selectedStyles, []);
    assert.match(state.styleNotice ?? '', /No longer chosen.*Style b/);
  });

  test('stylesFailed with no list shows the error; with a list, keeps it and says so', () => {
    const error = failure('INTERNAL', 'The host went away');
    assert.deepEqual(act(fresh(), { type: 'stylesFailed', payload: error }).styles, {
      state: 'error',
      error,
    });
    const shown = withStyles([style('a')]);
    const state = act(shown, { type: 'stylesFailed', payload: error });
    assert.equal(state.styles, shown.styles);
    assert.equal(
      state.styleNotice,
      'The styles could not be refreshed, so this list may be out of date. The host went away.',
    );
  });

  test('styleToggled chooses, unchooses, refuses one past the limit and one that cannot run', () => {
    const ids = Array.from({ length: STYLE_LIMITS.max + 1 }, (_, i) => `s${i}`);
    let state = withStyles([
      ...ids.map((id) => style(id)),
      style('x', { name: 'x', scale: 1, available: false }),
    ]);
    for (const id of ids) state = act(state, { type: 'styleToggled', payload: id });
    assert.deepEqual(state.selectedStyles, ids.slice(0, STYLE_LIMITS.max));
    assert.match(state.styleNotice ?? '', new RegExp(`up to ${STYLE_LIMITS.max} styles`));
    state = act(state, { type: 'styleToggled', payload: 's0' });
    assert.ok(!state.selectedStyles.includes('s0'));
    assert.equal(state.styleNotice, null);
    assert.equal(act(state, { type: 'styleToggled', payload: 'x' }), state);
  });

  test('styleNoticeDismissed clears the notice', () => {
    const warned = act(withStyles([style('a')]), {
      type: 'stylesFailed',
      payload: failure('INTERNAL'),
    });
    assert.notEqual(warned.styleNotice, null);
    assert.equal(act(warned, { type: 'styleNoticeDismissed' }).styleNotice, null);
  });
});

describe('run', () => {
  test('countChosen rounds and clamps to the limits', () => {
    assert.equal(act(fresh(), { type: 'countChosen', payload: 4.6 }).count, 5);
    assert.equal(act(fresh(), { type: 'countChosen', payload: 0 }).count, AVATAR_LIMITS.min);
    assert.equal(act(fresh(), { type: 'countChosen', payload: 99 }).count, AVATAR_LIMITS.max);
  });

  test('runStarting, then runStarted follows the run and opens its gallery entry', () => {
    const starting = act(fresh(), { type: 'runStarting' });
    assert.equal(starting.starting, true);
    const state = act(starting, { type: 'runStarted', payload: 'run-1' });
    assert.equal(state.starting, false);
    assert.deepEqual(state.run, {
      runId: 'run-1',
      progress: null,
      cancelling: false,
      outcome: null,
    });
    assert.deepEqual(state.gallery, [
      { runId: 'run-1', avatars: [], complete: false, deleted: false },
    ]);
  });

  test('runRefused for refused photos goes back to them with their verdicts', () => {
    const verdicts = [{ name: '1.jpg', ok: false, message: 'No face' }];
    const error = { ...failure('PHOTOS_REFUSED', 'Fix the photos.'), verdicts };
    const state = act(
      withPhotos(1),
      { type: 'runStarting' },
      { type: 'runRefused', payload: error },
    );
    assert.equal(state.starting, false);
    assert.equal(state.startError, error);
    assert.equal(state.step, 'photos');
    assert.deepEqual(state.intake.checkedKeys, ['photo-1']);
    assert.equal(state.intake.report?.verdicts, verdicts);
    const before = withPhotos(1);
    const quota = act(before, { type: 'runRefused', payload: failure('QUOTA_EXCEEDED') });
    assert.equal(quota.intake, before.intake);
    assert.equal(quota.step, 'photos');
  });

  test("runProgressed follows this run's progress only", () => {
    const progress = {
      runId: 'run-1',
      phase: 'generating' as const,
      avatarsDone: 1,
      avatarsTotal: 4,
      blocked: 0,
    };
    const state = act(running(), { type: 'runProgressed', payload: progress });
    assert.equal(state.run?.progress, progress);
    const other = act(running(), {
      type: 'runProgressed',
      payload: { ...progress, runId: 'other' },
    });
    assert.equal(other.run?.progress, null);
  });

  test('avatarArrived adds an avatar once', () => {
    const arrived = {
      type: 'avatarArrived',
      payload: { runId: 'run-1', avatar: avatar('a') },
    } as const;
    const state = act(running(), arrived, arrived);
    assert.deepEqual(state.gallery[0]?.avatars, [avatar('a')]);
  });

  test('runFinished keeps the outcome and the final list, and opens the gallery', () => {
    const generating = act(running(), { type: 'stepChosen', payload: 'generate' });
    const final = [avatar('b', 1), avatar('a', 0)];
    const state = act(generating, {
      type: 'runFinished',
      payload: { runId: 'run-1', cancelled: false, avatars: final, blocked: 1 },
    });
    assert.deepEqual(state.run?.outcome, { cancelled: false, blocked: 1, error: null });
    assert.deepEqual(state.gallery[0], {
      runId: 'run-1',
      avatars: final,
      complete: true,
      deleted: false,
    });
    assert.equal(state.step, 'gallery');
    const cancelled = act(generating, {
      type: 'runFinished',
      payload: { runId: 'run-1', cancelled: true, avatars: [], blocked: 0 },
    });
    assert.equal(cancelled.step, 'generate');
  });

  test('cancelRequested, then cancelFailed says why and allows another try', () => {
    const cancelling = act(running(), { type: 'cancelRequested' });
    assert.equal(cancelling.run?.cancelling, true);
    const error = failure('INTERNAL');
    const state = act(cancelling, { type: 'cancelFailed', payload: error });
    assert.equal(state.run?.cancelling, false);
    assert.equal(state.startError, error);
  });

  test('runDismissed forgets the run, not its avatars', () => {
    const state = act(running(), { type: 'runDismissed' });
    assert.equal(state.run, null);
    assert.equal(state.gallery.length, 1);
  });
});

describe('gallery', () => {
  const finished = (): AppState =>
    act(running(), {
      type: 'runFinished',
      payload: { runId: 'run-1', cancelled: false, avatars: [avatar('a')], blocked: 0 },
    });

  test('countdownsLoaded keeps the list and marks a finished run gone from it as deleted', () => {
    const runs = [countdown('run-2')];
    const state = act(finished(), {
      type: 'countdownsLoaded',
      payload: { runs, fetchedAt: 1000 },
    });
    assert.deepEqual(state.countdowns, { runs, fetchedAt: 1000 });
    assert.deepEqual(state.gallery[0], {
      runId: 'run-1',
      avatars: [],
      complete: true,
      deleted: true,
    });
    const listed = act(finished(), {
      type: 'countdownsLoaded',
      payload: { runs: [countdown('run-1')], fetchedAt: 1000 },
    });
    assert.equal(listed.gallery[0]?.deleted, false);
  });

  test('galleryRefreshFailed keeps the error until the next list arrives', () => {
    const error = failure('INTERNAL');
    const failed = act(finished(), { type: 'galleryRefreshFailed', payload: error });
    assert.equal(failed.galleryError, error);
    assert.deepEqual(failed.gallery, finished().gallery);
    const again = act(failed, {
      type: 'countdownsLoaded',
      payload: { runs: [countdown('run-1')], fetchedAt: 1 },
    });
    assert.equal(again.galleryError, null);
  });

  test('runAvatarsLoaded on an empty studio opens the gallery of a kept run', () => {
    const state = act(fresh(), {
      type: 'runAvatarsLoaded',
      payload: { runId: 'old', avatars: [avatar('a')], complete: true },
    });
    assert.equal(state.step, 'gallery');
    assert.deepEqual(state.gallery, [
      { runId: 'old', avatars: [avatar('a')], complete: true, deleted: false },
    ]);
  });

  test('runAvatarsLoaded merges a running run with the avatars its events brought', () => {
    const arrived = act(fresh(), {
      type: 'avatarArrived',
      payload: { runId: 'run-1', avatar: avatar('b', 1) },
    });
    const state = act(arrived, {
      type: 'runAvatarsLoaded',
      payload: { runId: 'run-1', avatars: [avatar('a', 0)], complete: false },
    });
    assert.deepEqual(
      state.gallery[0]?.avatars.map((a) => a.id),
      ['a', 'b'],
    );
    assert.equal(state.step, 'photos');
  });

  test('runsDeleted empties that run and drops its countdown', () => {
    const listed = act(finished(), {
      type: 'countdownsLoaded',
      payload: { runs: [countdown('run-1'), countdown('run-2')], fetchedAt: 1 },
    });
    const state = act(listed, { type: 'runsDeleted', payload: 'run-1' });
    assert.deepEqual(state.gallery[0], {
      runId: 'run-1',
      avatars: [],
      complete: true,
      deleted: true,
    });
    assert.deepEqual(
      state.countdowns?.runs.map((r) => r.runId),
      ['run-2'],
    );
  });
});

describe('models', () => {
  const install = { kind: 'install', id: 'sd-turbo' } as const;
  const requested = (): AppState =>
    act(fresh(), { type: 'modelJobRequested', payload: { origin: install, name: 'SD-Turbo' } });
  const progress = (jobId: string) => ({
    jobId,
    phase: 'download' as const,
    label: 'Downloading',
    done: 1,
    total: 2,
    fraction: 0.5,
  });

  test('modelJobRequested, then modelJobStarted gives the job its id', () => {
    const state = act(requested(), { type: 'modelJobStarted', payload: 'job-1' });
    assert.deepEqual(state.modelJob, {
      origin: install,
      jobId: 'job-1',
      name: 'SD-Turbo',
      progress: null,
      cancelling: false,
    });
    assert.equal(state.modelOutcome, null);
  });

  test('modelJobNotStarted: the picker closed, nothing runs', () => {
    const picking = act(fresh(), {
      type: 'modelJobRequested',
      payload: { origin: { kind: 'add' }, name: null },
    });
    assert.equal(act(picking, { type: 'modelJobNotStarted' }).modelJob, null);
  });

  test('modelJobRefused says why where the job was asked for', () => {
    const state = act(requested(), {
      type: 'modelJobRefused',
      payload: failure('MODEL_JOB_IN_PROGRESS', 'One at a time.'),
    });
    assert.equal(state.modelJob, null);
    assert.deepEqual(state.modelOutcome, {
      origin: install,
      tone: 'error',
      message: 'One at a time.',
    });
  });

  test("modelProgressed follows this job's progress, and tells a waiting request its id", () => {
    const state = act(requested(), { type: 'modelProgressed', payload: progress('job-1') });
    assert.equal(state.modelJob?.jobId, 'job-1');
    assert.deepEqual(state.modelJob?.progress, progress('job-1'));
    const other = act(state, { type: 'modelProgressed', payload: progress('job-2') });
    assert.equal(other, state);
  });

  test('modelJobFinished says how it ended and counts the models installed', () => {
    const started = act(requested(), { type: 'modelJobStarted', payload: 'job-1' });
    const ok = act(started, {
      type: 'modelJobFinished',
      payload: { jobId: 'job-1', ok: true, model },
    });
    assert.equal(ok.modelJob, null);
    assert.deepEqual(ok.modelOutcome, {
      origin: install,
      tone: 'success',
      message: 'SD-Turbo is installed and is the default for new runs.',
    });
    assert.equal(ok.modelsInstalled, 1);
    const cancelled = act(started, {
      type: 'modelJobFinished',
      payload: { jobId: 'job-1', ok: false, error: failure('CANCELLED', 'Cancelled.') },
    });
    assert.equal(cancelled.modelOutcome?.tone, 'info');
    assert.equal(cancelled.modelsInstalled, 0);
  });

  test('modelCancelRequested, then modelCancelFailed says why', () => {
    const started = act(requested(), { type: 'modelJobStarted', payload: 'job-1' });
    const cancelling = act(started, { type: 'modelCancelRequested' });
    assert.equal(cancelling.modelJob?.cancelling, true);
    const state = act(cancelling, {
      type: 'modelCancelFailed',
      payload: failure('INTERNAL', 'No.'),
    });
    assert.equal(state.modelJob?.cancelling, false);
    assert.deepEqual(state.modelOutcome, { origin: install, tone: 'error', message: 'No.' });
  });
});

// Last: the tests above run in order, and note each action type they dispatch.
test('every action type the reducer knows is tested', () => {
  assert.deepEqual(
    ACTION_TYPES.filter((type) => !dispatched.has(type)),
    [],
  );
});
