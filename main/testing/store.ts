/** Shared by the store's tests (and the CLI's): an injected clock, temp folders, fault injection. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import sharp from 'sharp';
import type { Clock, Timer } from '../store/clock.ts';
import { databasePath } from '../store/data-folder.ts';
import type { FileSystem } from '../store/file-system.ts';

/** A clock that moves only when told; timers fire in order as `advance` passes them. */
export class ManualClock implements Clock {
  private timers: { due: number; callback: () => void; cancelled: boolean }[] = [];

  constructor(
    private time: number,
    /** Minutes east of UTC; change it to move the user to another zone. */
    public offsetMinutes = 0,
  ) {}

  now(): number {
    return this.time;
  }

  utcOffsetMinutes(): number {
    return this.offsetMinutes;
  }

  setTimer(callback: () => void, delayMs: number): Timer {
    const timer = { due: this.time + delayMs, callback, cancelled: false };
    this.timers.push(timer);
    return { cancel: () => void (timer.cancelled = true) };
  }

  /** Moves forward by `ms`, firing each timer at its due time. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      this.timers = this.timers.filter((timer) => !timer.cancelled);
      const next = this.timers.reduce<(typeof this.timers)[number] | undefined>(
        (earliest, timer) => (!earliest || timer.due < earliest.due ? timer : earliest),
        undefined,
      );
      if (!next || next.due > end) break;
      this.time = Math.max(this.time, next.due);
      next.cancelled = true;
      next.callback();
    }
    this.time = end;
  }

  /** Sets the wall clock as a user would, backwards too; no timer fires. */
  set(time: number): void {
    this.time = time;
  }
}

/** A fresh data folder, removed when the test ends. */
export function tempDataDir(t: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'avatar-studio-test-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The real fs, except that `fault.method` (while set) throws an errno error `fault.code`. */
export function faultyFileSystem(): {
  fileSystem: FileSystem;
  fault: { method?: keyof FileSystem; code?: string };
} {
  const fault: { method?: keyof FileSystem; code?: string } = {};
  const fileSystem = Object.fromEntries(
    (Object.keys(fs) as (keyof typeof fs)[])
      .filter((name) => typeof fs[name] === 'function')
      .map((name) => [
        name,
        (...args: unknown[]) => {
          if (fault.method === name && fault.code) {
            throw Object.assign(new Error(`${fault.code}: injected`), { code: fault.code });
          }
          return (fs[name] as (...a: unknown[]) => unknown)(...args);
        },
      ]),
  ) as unknown as FileSystem;
  return { fileSystem, fault };
}

/** Every file under `dir`, recursively. */
export function listFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
}

/**
 * A row of pixels no real photo contains. PNGs made here are stored uncompressed and unfiltered,
 * so the row appears verbatim in their bytes: finding it on disk means plaintext leaked.
 */
export const KNOWN_PIXEL_RUN = Buffer.from(
  Array.from({ length: 48 }, (_, i) => (i * 37 + 11) % 251),
);

/** Real image bytes: a PNG holding KNOWN_PIXEL_RUN as its first row, a JPEG and a WebP. */
export async function sampleImages(): Promise<{ png: Buffer; jpeg: Buffer; webp: Buffer }> {
  const pixels = Buffer.alloc(16 * 16 * 3);
  for (let row = 0; row < 16; row++) KNOWN_PIXEL_RUN.copy(pixels, row * 48);
  const image = () => sharp(pixels, { raw: { width: 16, height: 16, channels: 3 } });
  return {
    png: await image().png({ compressionLevel: 0, adaptiveFiltering: false }).toBuffer(),
    jpeg: await image().jpeg().toBuffer(),
    webp: await image().webp().toBuffer(),
  };
}

const SIGNATURES: { name: string; bytes: Buffer }[] = [
  { name: 'PNG', bytes: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) },
  // Start of image plus the usual first marker: three bytes alone turn up in random ciphertext.
  ...[0xe0, 0xe1, 0xdb, 0xee].map((marker) => ({
    name: 'JPEG',
    bytes: Buffer.from([0xff, 0xd8, 0xff, marker]),
  })),
  { name: 'WebP', bytes: Buffer.from('WEBPVP8', 'latin1') },
  { name: 'known pixel run', bytes: KNOWN_PIXEL_RUN },
];

/** "file: what" for every image signature or the known pixel run found under `dir`. */
export function findPlaintextImages(dir: string): string[] {
  const hits: string[] = [];
  for (const file of listFiles(dir)) {
    const bytes = fs.readFileSync(file);
    for (const { name, bytes: needle } of SIGNATURES) {
      if (bytes.includes(needle)) hits.push(`${path.relative(dir, file)}: ${name}`);
    }
  }
  return hits;
}

/** SQLite's own integrity check of the store's database, read-only: 'ok' when sound. */
export function integrityCheck(dataDir: string): unknown {
  const db = new BetterSqlite3(databasePath(dataDir), { readonly: true });
  try {
    return db.pragma('integrity_check', { simple: true });
  } finally {
    db.close();
  }
}
