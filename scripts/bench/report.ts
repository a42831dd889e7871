/** The benchmark's table on stdout and its JSON file. */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Summary } from './stats.ts';

export type Unit = 's' | 'ms' | 'GB' | 'calls';

export interface Row {
  part: string;
  what: string;
  /** Milliseconds (or bytes for GB rows). */
  summary: Summary;
  unit: Unit;
  /** Against the row this one is compared with, from the same run. */
  ratio?: number;
  note?: string;
}

const SCALE: Record<Unit, number> = { s: 1 / 1000, ms: 1, GB: 1 / 1e9, calls: 1 };

function figure(value: number, unit: Unit): string {
  if (unit === 'calls') return String(value);
  const v = value * SCALE[unit];
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toFixed(3);
}

export function formatTable(rows: readonly Row[]): string {
  const header = ['part', 'what', 'median', 'min', 'max', 'n', 'ratio', 'note'];
  const cells = rows.map((r) => [
    r.part,
    r.what,
    `${figure(r.summary.median, r.unit)} ${r.unit}`,
    figure(r.summary.min, r.unit),
    figure(r.summary.max, r.unit),
    String(r.summary.n),
    r.ratio === undefined ? '' : `${r.ratio.toFixed(3)}x`,
    r.note ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: readonly string[]): string =>
    c
      .map((v, i) => (i >= 2 && i <= 6 ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/** The same rows as a Markdown table (what RESULTS.md and the README quote). */
export function markdownTable(rows: readonly Row[]): string {
  const out = [
    '| part | what | median | min | max | n | ratio | note |',
    '|---|---|---:|---:|---:|---:|---:|---|',
  ];
  for (const r of rows) {
    const ratio = r.ratio === undefined ? '' : `${r.ratio.toFixed(3)}x`;
    out.push(
      `| ${r.part} | ${r.what} | ${figure(r.summary.median, r.unit)} ${r.unit} | ${figure(r.summary.min, r.unit)} | ${figure(r.summary.max, r.unit)} | ${r.summary.n} | ${ratio} | ${r.note ?? ''} |`,
    );
  }
  return out.join('\n');
}

export async function writeJson(file: string, value: unknown): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(value, null, 2)}\n`);
}
