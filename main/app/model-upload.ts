/**
 * A model the page streams to the loopback host, which has no native dialog, before it is
 * imported: the files the page declared, each written into the job's staging folder as its bytes
 * arrive (never held in memory, never more than declared), and the moment the last one is whole.
 */
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ApiError, type ModelUpload } from '../api/contract.ts';
import { errnoCode } from '../models/errors.ts';

export interface UploadOptions {
  /** Stops every file being written (a cancel, or the job failing). */
  signal: AbortSignal;
  /** The upload fails when no byte arrives for this long (a page closed between two files). */
  idleMs: number;
  onBytes: (done: number, total: number) => void;
}

export class ModelUploadReceiver {
  readonly total: number;
  /** Resolves once every declared file is whole; rejects with the upload's failure. */
  readonly complete: Promise<void>;
  private readonly expected: Map<string, number>;
  /** How a file is named to the user: a checkpoint by the name it was picked with. */
  private readonly shown: (relative: string) => string;
  private readonly arrived = new Set<string>();
  private readonly writing = new Map<string, Promise<void>>();
  private bytesDone = 0;
  private settle!: { resolve: () => void; reject: (error: unknown) => void };
  private settled = false;
  private idle: NodeJS.Timeout | undefined;

  constructor(
    /** The staging folder: every file goes under it, at the path it was declared with. */
    readonly dir: string,
    upload: ModelUpload,
    private readonly options: UploadOptions,
  ) {
    this.expected = new Map(upload.files.map((file) => [file.path, file.bytes]));
    this.shown = (relative) => (upload.kind === 'checkpoint' ? upload.name : relative);
    this.total = upload.files.reduce((sum, file) => sum + file.bytes, 0);
    this.complete = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }));
    // The job awaits it; this only keeps a failure nobody waits for yet from being "unhandled".
    this.complete.catch(() => {});
    options.signal.addEventListener('abort', () => this.fail(options.signal.reason), {
      once: true,
    });
    this.touch();
  }

  /**
   * One declared file, `bytes` long (its Content-Length). ApiError when refused or broken; either
   * ends the whole upload, as a sender that breaks the declaration cannot be trusted with the rest.
   */
  async receive(relative: string, bytes: number, body: Readable): Promise<void> {
    try {
      this.check(relative, bytes);
      const writing = this.write(relative, bytes, body);
      this.writing.set(relative, writing);
      try {
        await writing;
      } finally {
        this.writing.delete(relative);
      }
      this.arrived.add(relative);
      if (this.arrived.size === this.expected.size) this.finish();
    } catch (error) {
      const failure = uploadFailure(error, this.shown(relative));
      this.fail(failure);
      throw failure;
    }
  }

  private check(relative: string, bytes: number): void {
    const declared = this.expected.get(relative);
    if (declared === undefined) {
      throw new ApiError(
        'BAD_REQUEST',
        `${relative} is not one of the files this upload declared.`,
      );
    }
    const shown = this.shown(relative);
    if (this.arrived.has(relative) || this.writing.has(relative)) {
      throw new ApiError('BAD_REQUEST', `${shown} was sent already.`);
    }
    if (bytes !== declared) {
      throw new ApiError(
        'BAD_REQUEST',
        `${shown} is ${bytes} bytes long, not the ${declared} bytes declared.`,
      );
    }
  }

  /** Ends the upload with `error` (the first failure wins). */
  fail(error: unknown): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.idle);
    this.settle.reject(error);
  }

  /** Settles once no file is being written, so the folder can go. */
  async drained(): Promise<void> {
    await Promise.allSettled([...this.writing.values()]);
  }

  private finish(): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.idle);
    this.settle.resolve();
  }

  private touch(): void {
    if (this.settled) return;
    clearTimeout(this.idle);
    this.idle = setTimeout(() => {
      const seconds = Math.round(this.options.idleMs / 1000);
      this.fail(
        new ApiError(
          'BAD_REQUEST',
          `The upload stopped: nothing arrived for ${seconds} s. Add the model again.`,
        ),
      );
    }, this.options.idleMs);
  }

  private async write(relative: string, declared: number, body: Readable): Promise<void> {
    const file = path.join(this.dir, ...relative.split('/'));
    await mkdir(path.dirname(file), { recursive: true });
    let size = 0;
    const meter = new Transform({
      transform: (chunk: Buffer, _encoding, done) => {
        size += chunk.length;
        // The host reads no more than the Content-Length; this holds whatever the caller is.
        if (size > declared) {
          return done(
            new ApiError('TOO_LARGE', `${this.shown(relative)} is larger than declared.`),
          );
        }
        this.bytesDone += chunk.length;
        this.touch();
        this.options.onBytes(this.bytesDone, this.total);
        done(null, chunk);
      },
    });
    // 'wx': a file is written once, and never through a link someone put in its place.
    await pipeline(body, meter, createWriteStream(file, { flags: 'wx' }), {
      signal: this.options.signal,
    });
    if (size !== declared) {
      throw new ApiError(
        'BAD_REQUEST',
        `The upload of ${this.shown(relative)} stopped after ${size} of its ${declared} bytes.`,
      );
    }
  }
}

/** A failed write as the page should read it, naming the file as `shown`. */
function uploadFailure(error: unknown, shown: string): unknown {
  if (error instanceof ApiError) return error;
  if ((error as Error | undefined)?.name === 'AbortError') {
    return new ApiError('CANCELLED', `The upload of ${shown} was stopped.`);
  }
  if (errnoCode(error) === 'ENOSPC') {
    return new ApiError('STORAGE', `The disk is full: ${shown} could not be stored.`);
  }
  if (['ECONNRESET', 'ERR_STREAM_PREMATURE_CLOSE'].includes(errnoCode(error))) {
    return new ApiError(
      'BAD_REQUEST',
      `The upload of ${shown} was interrupted before it arrived whole. Add the model again.`,
    );
  }
  return error;
}
