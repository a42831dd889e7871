import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunCountdown } from '../../../main/api/contract.ts';
import { deletionOf, firstZeroAt, secondsLeft } from './selectors.ts';
import { initialState, type AppState } from './state.ts';

const listed = (runs: Partial<RunCountdown>[], fetchedAt: number): AppState => ({
  ...initialState('system'),
  countdowns: {
    fetchedAt,
    runs: runs.map((run, i) => ({
      runId: `run-${i}`,
      status: 'finished',
      uploads: 0,
      avatars: 1,
      secondsUntilDeletion: null,
      ...run,
    })),
  },
});

test('a countdown ticks down from when the list was fetched, and stops at zero', () => {
  const deletion = deletionOf(listed([{ secondsUntilDeletion: 10 }], 5_000), 'run-0');
  assert.deepEqual(deletion, { seconds: 10, fetchedAt: 5_000 });
  assert.equal(secondsLeft(deletion!, 5_999), 10);
  assert.equal(secondsLeft(deletion!, 6_000), 9);
  assert.equal(secondsLeft(deletion!, 99_000), 0);
});

test('no countdown for a run still going, or not listed', () => {
  const state = listed([{ secondsUntilDeletion: null, status: 'running' }], 0);
  assert.equal(deletionOf(state, 'run-0'), null);
  assert.equal(deletionOf(state, 'elsewhere'), null);
  assert.equal(firstZeroAt(state), null);
  assert.equal(firstZeroAt(initialState('system')), null);
});

test('the first zero is the moment secondsLeft first says 0, of the soonest run', () => {
  const state = listed([{ secondsUntilDeletion: 30 }, { secondsUntilDeletion: 7 }], 1_000);
  const at = firstZeroAt(state)!;
  assert.equal(at, 8_000);
  const soonest = deletionOf(state, 'run-1')!;
  assert.equal(secondsLeft(soonest, at - 1), 1);
  assert.equal(secondsLeft(soonest, at), 0);
});
