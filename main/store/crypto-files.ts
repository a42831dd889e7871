import crypto from 'node:crypto';
import path from 'node:path';
import { StoreError, storeErrorFromIo } from './errors.ts';
import type { FileSystem } from './file-system.ts';

const FORMAT_VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + IV_BYTES + TAG_BYTES;
const OVERWRITE_CHUNK = 1 << 20;
/** <file name>.<writer's owner instance>.tmp (owners.ts); anything else here is a finished file. */
const TEMP_NAME = /^[0-9a-f]{32}\.([0-9a-f-]{36})\.tmp$/;

/** A random name that says nothing about the run, the kind or the person. */
export function randomFileName(): string {
  return crypto.randomBytes(16).toString('hex');
}

/**
 * Image files encrypted at rest with AES-256-GCM. Each file has its own random key, kept only in
 * this process's memory in its run's keyring: destroying a key shreds that file even where an
 * overwrite cannot reach the old blocks (SSDs, copy-on-write file systems), and one key per file
 * lets instant mode shred a run's uploads while its avatars stay readable. A crash loses every
 * key, so whatever it leaves on disk is unreadable; the sweeper then removes it.
 *
 * File layout: version (1 byte) | IV (12) | GCM tag (16) | ciphertext. The file id is bound in
 * as additional data, so swapping two files on disk fails authentication instead of showing the
 * wrong picture.
 */
export class EncryptedImages {
  private readonly keyrings = new Map<string, Map<string, Buffer>>();

  constructor(
    readonly dir: string,
    private readonly fsys: FileSystem,
    /** The writing store's owner instance, named in its temp files. */
    private readonly writer: string,
  ) {}

  /**
   * Encrypts under a fresh key and writes atomically: a temp file, fsync, then rename, so no
   * reader ever sees half a file and a full disk surfaces here, not later. The directory is not
   * fsynced: the key dies with the process, so a file that survives a power cut is of no use.
   */
  write(runId: string, fileId: string, name: string, plaintext: Uint8Array): void {
    const key = crypto.randomBytes(32);
    const iv = crypto.randomBytes(IV_BYTES);
    const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(fileId));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const header = Buffer.concat([Buffer.of(FORMAT_VERSION), iv, cipher.getAuthTag()]);

    const temp = path.join(this.dir, `${name}.${this.writer}.tmp`);
    let fd: number | undefined;
    try {
      fd = this.fsys.openSync(temp, 'wx', 0o600);
      this.writeAll(fd, header);
      this.writeAll(fd, ciphertext);
      this.fsys.fsyncSync(fd);
      this.fsys.closeSync(fd);
      fd = undefined;
      this.fsys.renameSync(temp, path.join(this.dir, name));
    } catch (error) {
      key.fill(0);
      this.discardTemp(fd, temp);
      throw storeErrorFromIo(error, 'saving an image');
    }
    let keyring = this.keyrings.get(runId);
    if (!keyring) this.keyrings.set(runId, (keyring = new Map()));
    keyring.set(fileId, key);
  }

  /** Decrypts in memory; the plaintext never touches the disk. */
  read(runId: string, fileId: string, name: string): Buffer {
    const key = this.keyrings.get(runId)?.get(fileId);
    if (!key) {
      throw new StoreError(
        'FILE_UNREADABLE',
        `Image ${fileId} cannot be read: its key was destroyed (deleted, or saved by an earlier session).`,
      );
    }
    let data: Buffer;
    try {
      data = this.fsys.readFileSync(path.join(this.dir, name));
    } catch (error) {
      throw storeErrorFromIo(error, `reading image ${fileId}`);
    }
    try {
      if (data.length < HEADER_BYTES || data[0] !== FORMAT_VERSION) throw new Error('bad header');
      const decipher = crypto.createDecipheriv('aes-256-gcm', key, data.subarray(1, 1 + IV_BYTES));
      decipher.setAAD(Buffer.from(fileId));
      decipher.setAuthTag(data.subarray(1 + IV_BYTES, HEADER_BYTES));
      return Buffer.concat([decipher.update(data.subarray(HEADER_BYTES)), decipher.final()]);
    } catch {
      throw new StoreError('FILE_UNREADABLE', `Image ${fileId} is damaged on disk.`);
    }
  }

  /** Crypto-shreds one file: the key first, then an overwrite and unlink of the bytes. */
  shred(runId: string, fileId: string, name: string): void {
    const keyring = this.keyrings.get(runId);
    keyring?.get(fileId)?.fill(0);
    keyring?.delete(fileId);
    if (keyring?.size === 0) this.keyrings.delete(runId);
    this.destroy(name);
  }

  /** Destroys every key this process holds for files not in `liveFileIds`. */
  retainKeys(liveFileIds: ReadonlySet<string>): void {
    for (const [runId, keyring] of this.keyrings) {
      for (const [fileId, key] of keyring) {
        if (liveFileIds.has(fileId)) continue;
        key.fill(0);
        keyring.delete(fileId);
      }
      if (keyring.size === 0) this.keyrings.delete(runId);
    }
  }

  /**
   * Names in the folder, less the temp files of writers still alive (a write in progress). The
   * caller decides which of the rest have a live record.
   */
  list(isWriterAlive: (instance: string) => boolean): string[] {
    return this.fsys
      .readdirSync(this.dir, { withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => entry.name)
      .filter((name) => {
        const writer = TEMP_NAME.exec(name)?.[1];
        return writer === undefined || !isWriterAlive(writer);
      });
  }

  /** Overwrites a file's bytes and unlinks it; one that is already gone counts as destroyed. */
  destroy(name: string): void {
    const file = path.join(this.dir, name);
    let fd: number | undefined;
    try {
      fd = this.fsys.openSync(file, 'r+');
      const size = this.fsys.fstatSync(fd).size;
      const zeros = Buffer.alloc(Math.min(size, OVERWRITE_CHUNK));
      for (let offset = 0; offset < size; offset += zeros.length) {
        this.fsys.writeSync(fd, zeros, 0, Math.min(zeros.length, size - offset), offset);
      }
      this.fsys.fsyncSync(fd);
      this.fsys.closeSync(fd);
      fd = undefined;
      this.fsys.unlinkSync(file);
    } catch (error) {
      if (fd !== undefined) this.fsys.closeSync(fd);
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw storeErrorFromIo(error, 'deleting an image');
    }
  }

  /** Destroys every key this process holds: after this nothing it wrote can be read. */
  forgetAll(): void {
    this.retainKeys(new Set());
  }

  private writeAll(fd: number, bytes: Buffer): void {
    for (let offset = 0; offset < bytes.length;) {
      offset += this.fsys.writeSync(fd, bytes, offset, bytes.length - offset);
    }
  }

  /** Best effort after a failed write: the original error is the one worth reporting. */
  private discardTemp(fd: number | undefined, temp: string): void {
    try {
      if (fd !== undefined) this.fsys.closeSync(fd);
    } catch {
      // Already closed or the descriptor is bad; unlinking still works.
    }
    try {
      this.fsys.unlinkSync(temp);
    } catch {
      // Never created, or the folder refuses writes; the sweeper removes it on a later start.
    }
  }
}
