/**
 * Downloads a set of files in parallel into `<dest>.part`, resuming each from what is already on
 * disk (HTTP Range), hashing while writing, and renaming a file to its final name only once its
 * hash matched. A dropped connection is retried from where it stopped.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, stat, truncate, unlink } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { errnoCode, ModelError } from './errors.ts';
import { httpGet, networkError } from './http.ts';

/** How a file's content is checked: SHA-256, or, for small files the hub keeps in git, the blob id. */
export type Expected = { sha256: string } | { gitBlobSha1: string };

export interface DownloadFile {
  url: string;
  /** The finished file; `${dest}.part` while it downloads. */
  dest: string;
  /** The file as the user knows it ("unet/model.onnx"), for progress and messages. */
  name: string;
  size: number;
  expected: Expected;
}

export interface DownloadProgress {
  bytesDone: number;
  bytesTotal: number;
  /** Bytes per second, smoothed over the last few seconds. */
  speed: number;
  /** null until a speed is known. */
  etaSeconds: number | null;
  filesDone: number;
  filesTotal: number;
}

export interface DownloadOptions {
  signal?: AbortSignal;
  /** Files fetched at once. */
  concurrency?: number;
  onProgress?: (progress: DownloadProgress) => void;
  /** Attempts per file after a dropped connection. */
  retries?: number;
  /** Milliseconds before the first retry; doubled each time. */
  retryDelayMs?: number;
  now?: () => number;
}

/** Files downloaded and checked: name → SHA-256 (computed even where a git blob id was checked). */
export type DownloadResult = Map<string, string>;

export function partFile(file: DownloadFile): string {
  return `${file.dest}.part`;
}

/** Bytes already on disk for `files`, finished or partial (what a resumed download skips). */
export async function bytesOnDisk(files: readonly DownloadFile[]): Promise<number> {
  let total = 0;
  for (const file of files) {
    const done = await sizeOf(file.dest);
    total += Math.min(file.size, done ?? (await sizeOf(partFile(file))) ?? 0);
  }
  return total;
}

export async function downloadFiles(
  files: readonly DownloadFile[],
  options: DownloadOptions = {},
): Promise<DownloadResult> {
  // Our own controller: the first failure stops the other files too.
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) stop.abort();
  const progress = new ProgressMeter(files, options.onProgress, options.now ?? Date.now);
  const queue = [...files];
  const result: DownloadResult = new Map();
  const failures: unknown[] = [];

  const worker = async (): Promise<void> => {
    for (let file = queue.shift(); file && !stop.signal.aborted; file = queue.shift()) {
      try {
        result.set(file.name, await fetchWithRetries(file, stop.signal, progress, options));
        progress.fileDone();
      } catch (error) {
        failures.push(error);
        stop.abort();
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 3) }, worker));
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
  // The file that failed first explains; the others only stopped because of it.
  const cause =
    failures.find((e) => !(e instanceof ModelError && e.code === 'ABORTED')) ?? failures[0];
  if (cause) throw cause;
  if (options.signal?.aborted) throw new ModelError('ABORTED', 'download cancelled');
  progress.report(true);
  return result;
}

async function fetchWithRetries(
  file: DownloadFile,
  signal: AbortSignal,
  progress: ProgressMeter,
  options: DownloadOptions,
): Promise<string> {
  const retries = options.retries ?? 5;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fetchOnce(file, signal, progress);
    } catch (error) {
      const mapped = toModelError(error, file, signal);
      if (mapped.code !== 'DOWNLOAD_INTERRUPTED' || attempt >= retries) throw mapped;
      await delay((options.retryDelayMs ?? 500) * 2 ** attempt, undefined, { signal }).catch(() => {
        throw new ModelError('ABORTED', 'download cancelled', file.url);
      });
    }
  }
}

/** One request: resumes from the .part file's length; returns the verified file's SHA-256. */
async function fetchOnce(
  file: DownloadFile,
  signal: AbortSignal,
  progress: ProgressMeter,
): Promise<string> {
  const part = partFile(file);
  await mkdir(path.dirname(part), { recursive: true });
  const finished = await sizeOf(file.dest);
  if (finished === file.size) {
    // Finished by an earlier attempt (checked before its rename): hashed again for the manifest.
    progress.at(file, file.size);
    return verified(file, file.dest, async () => {
      const hasher = new ContentHasher(file);
      await hasher.addFile(file.dest);
      return hasher;
    });
  }

  let have = (await sizeOf(part)) ?? 0;
  if (have > file.size) {
    await truncate(part, 0);
    have = 0;
  }
  const hasher = new ContentHasher(file);
  if (have > 0) await hasher.addFile(part);
  progress.at(file, have);

  if (have < file.size) {
    const response = await httpGet(file.url, have > 0 ? { range: `bytes=${have}-` } : {}, signal);
    const resumed =
      response.statusCode === 206 && contentRangeStart(response.headers['content-range']) === have;
    if (!resumed && have > 0) {
      // The server ignored or refused the range: start the file again rather than guess.
      response.destroy();
      await truncate(part, 0);
      throw new ModelError(
        'DOWNLOAD_INTERRUPTED',
        `${file.url}: the server did not resume at byte ${have}; restarting`,
        file.url,
      );
    }
    // Each chunk is on disk before the next is read, so a connection cut mid-file (or a cancel)
    // leaves every byte received so far in the .part file for the next attempt to resume from.
    const out = await open(part, have > 0 ? 'a' : 'w');
    try {
      for await (const chunk of response as AsyncIterable<Buffer>) {
        signal.throwIfAborted();
        await out.write(chunk);
        hasher.add(chunk);
        have += chunk.length;
        progress.received(file, chunk.length);
      }
    } finally {
      await out.close();
    }
  }

  if (have !== file.size) {
    throw new ModelError(
      'DOWNLOAD_INTERRUPTED',
      `${file.name}: the connection ended after ${have} of ${file.size} bytes`,
      file.url,
    );
  }
  const sha256 = await verified(file, part, () => hasher);
  await rename(part, file.dest);
  return sha256;
}

/** The SHA-256 of `on` once its expected hash matched; wrong bytes are deleted, never resumed. */
async function verified(
  file: DownloadFile,
  on: string,
  hashed: () => ContentHasher | Promise<ContentHasher>,
): Promise<string> {
  const { sha256, expected, actual, kind } = (await hashed()).digests();
  if (actual === expected) return sha256;
  await unlink(on).catch(() => undefined);
  throw new ModelError(
    'HASH_MISMATCH',
    `${file.name} is corrupt: ${kind} ${actual}, expected ${expected}; it was deleted, install again to retry`,
    file.name,
  );
}

/** SHA-256 always (the manifest records it), plus the expected check. */
class ContentHasher {
  private readonly sha256 = createHash('sha256');
  private readonly gitBlob: Hash | undefined;

  constructor(private readonly file: DownloadFile) {
    if ('gitBlobSha1' in file.expected) {
      this.gitBlob = createHash('sha1').update(`blob ${file.size}\0`);
    }
  }

  add(chunk: Buffer): void {
    this.sha256.update(chunk);
    this.gitBlob?.update(chunk);
  }

  async addFile(file: string): Promise<void> {
    for await (const chunk of createReadStream(file)) this.add(chunk as Buffer);
  }

  digests(): { sha256: string; kind: string; expected: string; actual: string } {
    const sha256 = this.sha256.digest('hex');
    return 'sha256' in this.file.expected
      ? {
          sha256,
          kind: 'SHA-256',
          expected: this.file.expected.sha256.toLowerCase(),
          actual: sha256,
        }
      : {
          sha256,
          kind: 'git blob SHA-1',
          expected: this.file.expected.gitBlobSha1.toLowerCase(),
          actual: this.gitBlob!.digest('hex'),
        };
  }
}

function toModelError(error: unknown, file: DownloadFile, signal: AbortSignal): ModelError {
  if (errnoCode(error) === 'ENOSPC') {
    return new ModelError('DISK_FULL', `the disk is full while writing ${file.name}`, file.dest);
  }
  const mapped = networkError(error, file.url, signal);
  return mapped instanceof ModelError
    ? mapped
    : new ModelError('DOWNLOAD_INTERRUPTED', `${file.name}: ${mapped.message}`, file.url);
}

function contentRangeStart(header: string | undefined): number | undefined {
  const match = /^bytes (\d+)-/.exec(header ?? '');
  return match ? Number(match[1]) : undefined;
}

async function sizeOf(file: string): Promise<number | undefined> {
  const info = await stat(file).catch(() => undefined);
  return info?.isFile() ? info.size : undefined;
}

const SAMPLE_MS = 500;
/** Weight of the newest sample in the speed average: ~3 s of memory at two samples a second. */
const SMOOTHING = 0.3;

/** Totals across files, with an exponentially smoothed speed counting only bytes fetched now. */
class ProgressMeter {
  private readonly done = new Map<DownloadFile, number>();
  private readonly total: number;
  private filesDone = 0;
  private fetched = 0;
  private speed = 0;
  private lastTime: number;
  private lastFetched = 0;

  constructor(
    private readonly files: readonly DownloadFile[],
    private readonly onProgress: ((progress: DownloadProgress) => void) | undefined,
    private readonly now: () => number,
  ) {
    this.total = files.reduce((n, f) => n + f.size, 0);
    this.lastTime = now();
  }

  /** Where a file stands on a start, resume or restart: bytes read back from disk are not speed. */
  at(file: DownloadFile, bytes: number): void {
    this.done.set(file, bytes);
    this.report(false);
  }

  received(file: DownloadFile, bytes: number): void {
    this.done.set(file, (this.done.get(file) ?? 0) + bytes);
    this.fetched += bytes;
    this.report(false);
  }

  fileDone(): void {
    this.filesDone++;
  }

  report(force: boolean): void {
    if (!this.onProgress) return;
    const now = this.now();
    const elapsed = now - this.lastTime;
    if (!force && elapsed < SAMPLE_MS) return;
    if (elapsed > 0) {
      const instant = ((this.fetched - this.lastFetched) * 1000) / elapsed;
      this.speed = this.speed === 0 ? instant : SMOOTHING * instant + (1 - SMOOTHING) * this.speed;
    }
    this.lastTime = now;
    this.lastFetched = this.fetched;
    let bytesDone = 0;
    for (const bytes of this.done.values()) bytesDone += bytes;
    this.onProgress({
      bytesDone,
      bytesTotal: this.total,
      speed: this.speed,
      etaSeconds: this.speed > 0 ? (this.total - bytesDone) / this.speed : null,
      filesDone: this.filesDone,
      filesTotal: this.files.length,
    });
  }
}
