import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openStore } from './index.ts';
import { ManualClock, tempDataDir } from '../testing/store.ts';

const at = (iso: string) => Date.parse(iso);
const RUN = { styles: ['anime'], photoCount: 4 };
const PICTURE = Buffer.from('avatar bytes');

function setup(t: Parameters<typeof tempDataDir>[0], start: string, offsetMinutes = 0) {
  const clock = new ManualClock(at(start), offsetMinutes);
  const store = openStore({ dataDir: tempDataDir(t), clock });
  t.after(() => store.close());
  return { clock, store };
}

/** Starts and finishes a run that made an avatar, so its use is spent for good. */
function useRun(store: ReturnType<typeof openStore>): string {
  const runId = store.startRun(RUN);
  store.saveImage(runId, 'avatar', PICTURE);
  store.finishRun(runId);
  return runId;
}

test('one run per local day; the refusal says when the next is allowed', (t) => {
  const { store } = setup(t, '2025-06-01T12:00:00Z');
  useRun(store);
  assert.throws(() => store.startRun(RUN), {
    code: 'QUOTA_EXCEEDED',
    nextAllowedAt: at('2025-06-02T00:00:00Z'),
    message: /next run is allowed in 12 h 0 min/,
  });
  assert.deepEqual(store.quota(), {
    day: '2025-06-01',
    used: 1,
    limit: 1,
    nextAllowedAt: at('2025-06-02T00:00:00Z'),
  });
});

test('the quota resets at local midnight, not a moment before', (t) => {
  const { clock, store } = setup(t, '2025-06-01T21:00:00Z', 120); // 23:00 in UTC+2
  useRun(store);
  clock.set(at('2025-06-01T21:59:59.999Z'));
  assert.throws(() => store.startRun(RUN), {
    code: 'QUOTA_EXCEEDED',
    nextAllowedAt: at('2025-06-01T22:00:00Z'),
  });
  clock.set(at('2025-06-01T22:00:00Z')); // Midnight in UTC+2.
  assert.doesNotThrow(() => useRun(store));
  assert.equal(store.quota().day, '2025-06-02');
});

test('the daily limit is a setting', (t) => {
  const { store } = setup(t, '2025-06-01T12:00:00Z');
  store.updateSettings({ dailyRunLimit: 2 });
  useRun(store);
  useRun(store);
  assert.throws(() => store.startRun(RUN), { code: 'QUOTA_EXCEEDED' });
  assert.throws(() => store.updateSettings({ dailyRunLimit: 0 }), { code: 'BAD_ARGUMENT' });
});

test('a run that fails or is cancelled before its first avatar gives the use back', (t) => {
  const { store } = setup(t, '2025-06-01T12:00:00Z');
  const failed = store.startRun(RUN);
  store.saveImage(failed, 'upload', PICTURE);
  store.failRun(failed);
  assert.equal(store.quota().used, 0);

  const cancelled = store.startRun(RUN);
  store.cancelRun(cancelled);
  assert.equal(store.quota().used, 0);

  const late = store.startRun(RUN);
  store.saveImage(late, 'avatar', PICTURE);
  store.failRun(late);
  assert.equal(store.quota().used, 1);
  assert.throws(() => store.startRun(RUN), { code: 'QUOTA_EXCEEDED' });
});

test('a clock turned back does not grant a new run; the next real day does', (t) => {
  const { clock, store } = setup(t, '2025-06-01T12:00:00Z');
  useRun(store);
  clock.set(at('2025-05-28T12:00:00Z'));
  assert.throws(() => store.startRun(RUN), {
    code: 'QUOTA_EXCEEDED',
    nextAllowedAt: at('2025-06-02T00:00:00Z'),
  });
  clock.set(at('2025-06-02T00:00:01Z'));
  assert.doesNotThrow(() => store.startRun(RUN));
});

test('a time-zone change: east into a new day grants a run, west back into the old one does not', (t) => {
  const { clock, store } = setup(t, '2025-06-01T22:30:00Z', 0); // 22:30 on 1 June, UTC.
  useRun(store);
  assert.throws(() => store.startRun(RUN), { code: 'QUOTA_EXCEEDED' });

  clock.offsetMinutes = 120; // Now in UTC+2: 00:30 on 2 June, a new local day.
  useRun(store);

  clock.offsetMinutes = -300; // Flew to UTC-5: 17:30 on 1 June, a day already over.
  assert.throws(() => store.startRun(RUN), {
    code: 'QUOTA_EXCEEDED',
    // Midnight ending 2 June, in the zone the user is now in.
    nextAllowedAt: at('2025-06-03T05:00:00Z'),
  });
});
