/**
 * npm run bench [-- --quick] [--json FILE] [--parts 1,2,3,4,5,6,7,8,9,10,11] [--reps N] [--size N] [--scale S] [--unet sd-turbo|bk-sdm-tiny]
 *
 * Where a run's time goes (issue 7): 1 overhead of the engine over its bare session.run calls,
 * 2 the per-run caches, 3 seconds per avatar on SD-Turbo-shaped models, 4 intake, moderation
 * and likeness, 5 the app's whole 30-avatar job against the compute it cannot avoid, 6 (only when
 * asked for: it writes ~10 GB) an SD-1.5-shaped checkpoint built from its weights to fp32 and int8
 * (issue 13), 7 a run of 5 LoRA styles against the same run without LoRAs (issue 14), 8 the
 * host's thread during a run, tfjs on it against the vision thread, 9 (only when asked for) a UNet
 * call op by op: each conv and attention kernel onnxruntime offers, and whole calls, 10 (only when
 * asked for) how a whole run grows with photos, styles, avatars and size (issue 15), 11 (only
 * when asked for) UNet calls per style, one avatar's schedule against the catalogue's former one,
 * and onnxruntime's CPU arena on against off (issue 15). Prints a table naming the
 * machine and writes the figures as JSON. `--quick` runs parts 1 and 2 on the tiny fixtures
 * (under a minute) and ends with the overhead ratio. `--unet bk-sdm-tiny` runs part 5 on
 * BK-SDM-Tiny's distilled UNet shape in place of SD-Turbo's (scripts/fixtures/configs.ts).
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fixtureModel } from './fixtures/cache.ts';
import { FULL_SIZE_UNETS } from './fixtures/full-size.ts';
import { describeMachine, machineLine } from './bench/machine.ts';
import { measureOverhead, overheadRows, type OverheadResult } from './bench/overhead.ts';
import { measurePlanning, planningRows } from './bench/planning.ts';
import { measureProduct, productRows } from './bench/product.ts';
import { formatTable, markdownTable, writeJson, type Row } from './bench/report.ts';
import { fromWeightsRows, measureFromWeights } from './bench/from-weights.ts';
import { loraStylesRows, measureLoraStyles } from './bench/lora-styles.ts';
import { hostStallsRows, measureHostStalls } from './bench/host-stalls.ts';
import { measureUnetOps, unetOpsRows } from './bench/unet-ops.ts';
import { growthRows, measureGrowth } from './bench/growth.ts';
import { leversRows, measureLevers } from './bench/levers.ts';
import { measureShapes, shapesRows } from './bench/shapes.ts';
import { measureWholeRun, wholeRunRows, type WholeRunResult } from './bench/whole-run.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    json: { type: 'string', default: resolve(import.meta.dirname, '../.cache/bench/results.json') },
    parts: { type: 'string' },
    reps: { type: 'string' },
    size: { type: 'string', default: '512' },
    scale: { type: 'string', default: '1' },
    unet: { type: 'string', default: 'sd-turbo' },
    markdown: { type: 'boolean', default: false },
  },
});
const quick = values.quick;
const parts = new Set((values.parts ?? (quick ? '1,2' : '1,2,3,4,5')).split(',').map(Number));
const reps = Number(values.reps ?? 5);
const size = Number(values.size);
const scale = Number(values.scale);
const unet = FULL_SIZE_UNETS.find((name) => name === values.unet);
if (
  unet === undefined ||
  !Number.isInteger(reps) ||
  reps < 1 ||
  !Number.isInteger(size) ||
  size % 8 !== 0 ||
  !(scale > 0 && scale <= 1)
) {
  console.error(
    'usage: npm run bench -- [--quick] [--json FILE] [--parts 1,2,3,4,5,6,7,8,9,10,11] [--reps N] [--size N] [--scale S] [--unet sd-turbo|bk-sdm-tiny]',
  );
  process.exit(2);
}

const machine = describeMachine();
console.log(`machine: ${machineLine(machine)}`);
const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim();
const rows: Row[] = [];
const results: Record<string, unknown> = {};
const progress = (message: string): void => console.error(`[bench] ${message}`);

let overhead: OverheadResult | undefined;
if (parts.has(1) || parts.has(2)) {
  // Tiny random-weight models magnify the engine's own costs: an upper bound on its overhead.
  const tiny = await fixtureModel('turbo');
  const label = `tiny turbo fixture, ${size}px`;
  if (parts.has(1)) {
    progress(`part 1: overhead, ${reps} repetitions`);
    overhead = await measureOverhead(tiny, size, reps);
    results.overhead = overhead;
    rows.push(...overheadRows(overhead, label));
  }
  if (parts.has(2)) {
    progress(`part 2: planning, ${reps} repetitions`);
    const planning = await measurePlanning(tiny, size, reps);
    results.planning = planning;
    rows.push(...planningRows(planning, label));
  }
}
if (parts.has(3)) {
  progress(
    `part 3: SD-Turbo-shaped models at scale ${scale}, ${size}px (builds them on first use)`,
  );
  const shapes = await measureShapes({ scale, size, reps, progress });
  results.shapes = shapes;
  rows.push(...shapesRows(shapes));
}
if (parts.has(4)) {
  progress(`part 4: intake, moderation, likeness, ${reps} repetitions`);
  const product = await measureProduct(reps);
  results.product = product;
  rows.push(...productRows(product));
}

let wholeRun: WholeRunResult | undefined;
if (parts.has(5)) {
  progress(`part 5: the whole 30-avatar run at scale ${scale}, ${size}px, ${unet} UNet`);
  wholeRun = await measureWholeRun({ scale, unet, size, reps, progress });
  results.wholeRun = wholeRun;
  rows.push(...wholeRunRows(wholeRun));
}

if (parts.has(6)) {
  progress(
    'part 6: an SD-1.5-shaped checkpoint built from its weights (fp32, int8), 512px UNet calls',
  );
  const fromWeights = await measureFromWeights({ reps, progress });
  results.fromWeights = fromWeights;
  rows.push(...fromWeightsRows(fromWeights));
}

if (parts.has(7)) {
  progress(`part 7: 30 avatars of 5 LoRA styles against none, at scale ${scale}, ${size}px`);
  const loraStyles = await measureLoraStyles({ scale, size, reps, progress });
  results.loraStyles = loraStyles;
  rows.push(...loraStylesRows(loraStyles));
}

if (parts.has(8)) {
  progress(
    `part 8: the host's thread during a run, tfjs on it against the vision thread, ${size}px`,
  );
  const hostStalls = await measureHostStalls({ size, reps, progress });
  results.hostStalls = hostStalls;
  rows.push(...hostStallsRows(hostStalls));
}

if (parts.has(9)) {
  progress(
    'part 9: a UNet call op by op (conv and attention variants at 512 px shapes), and whole',
  );
  const unetOps = await measureUnetOps({ reps, progress });
  results.unetOps = unetOps;
  rows.push(...unetOpsRows(unetOps));
}

if (parts.has(10)) {
  progress('part 10: how a run grows with photos, styles, avatars and size (six whole runs)');
  const growth = await measureGrowth({ reps, progress });
  results.growth = growth;
  rows.push(...growthRows(growth));
}

if (parts.has(11)) {
  progress('part 11: UNet calls per style, the schedule and the CPU arena (three avatar children)');
  const levers = await measureLevers({ size, reps, progress });
  results.levers = levers;
  rows.push(...leversRows(levers));
}

console.log(values.markdown ? markdownTable(rows) : formatTable(rows));
await writeJson(values.json, { command, machine, date: new Date().toISOString(), results, rows });
console.log(`wrote ${values.json}`);
if (wholeRun) {
  console.log(
    `whole run ${wholeRun.ratio.toFixed(3)}x its unavoidable compute (${(wholeRun.total.median / 1000).toFixed(1)} s vs ${(wholeRun.unavoidable.median / 1000).toFixed(1)} s)`,
  );
}
if (overhead) {
  const { engine, bare } = overhead;
  console.log(
    `overhead ratio ${overhead.workerRatio.toFixed(3)} (engine run ${(overhead.worker.median / 1000).toFixed(2)} s through the worker, ${(engine.median / 1000).toFixed(2)} s in-process, vs bare session.run ${(bare.median / 1000).toFixed(2)} s)`,
  );
}
