import assert from 'node:assert/strict';
import { test } from 'node:test';
import { totalsTable } from './attack.ts';
import { runHostileSuite } from './suite.ts';

test(
  'every hostile input is refused cleanly and the app stays up',
  { timeout: 900_000 },
  async (t) => {
    const results = await runHostileSuite();
    t.diagnostic(`\n${totalsTable(results)}`);
    const failed = results.filter((result) => result.outcome === 'failed');
    assert.deepEqual(
      failed.map((result) => `${result.family} / ${result.name}: ${result.detail}`),
      [],
    );
    // Every family of the probe is here (a guard against a family silently dropping out).
    assert.equal(new Set(results.map((result) => result.family)).size, 12);
  },
);
