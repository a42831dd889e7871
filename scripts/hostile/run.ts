/**
 * `npm run hostile`: the hostile-input suite with a line per attack and the totals table the
 * README quotes. Exits 1 when any attack was not refused cleanly.
 */
import { totalsTable } from './attack.ts';
import { runHostileSuite } from './suite.ts';

const results = await runHostileSuite((result) => {
  const mark = result.outcome === 'refused' ? 'refused' : 'FAILED ';
  const detail = result.detail ? `: ${result.detail}` : '';
  console.error(`${mark} ${result.family} / ${result.name} (${result.ms} ms)${detail}`);
});
console.log(totalsTable(results));
process.exitCode = results.every((result) => result.outcome === 'refused') ? 0 : 1;
