import { constants } from 'node:fs';
import { open, stat } from 'node:fs/promises';

/** Why a file was not read: callers turn this into their own error, naming the file. */
export type BoundedReadFault = 'missing' | 'not-a-file' | 'too-large' | 'unreadable';

export class BoundedReadError extends Error {
  override readonly name = 'BoundedReadError';
  constructor(
    readonly fault: BoundedReadFault,
    readonly file: string,
    readonly limit: number,
    /** The errno code behind 'missing' and 'unreadable'. */
    readonly errno?: string,
  ) {
    super(`${file}: ${describeFault(fault, limit, errno)}`);
  }
}

/** Words for a message: "is larger than 1 MiB", "is not a regular file"... */
export function describeFault(fault: BoundedReadFault, limit: number, cause?: string): string {
  switch (fault) {
    case 'missing':
      return 'is missing';
    case 'not-a-file':
      return 'is not a regular file';
    case 'too-large':
      return `is larger than ${formatLimit(limit)}`;
    case 'unreadable':
      return `cannot be read (${cause ?? 'unknown error'})`;
  }
}

/**
 * Reads a whole file of at most `limit` bytes. Only a regular file is opened (a FIFO would block
 * the open itself), its size is checked again on the open descriptor, and the read stops at
 * limit + 1: a device (/dev/zero), a FIFO or a file growing while it is read can never make this
 * hold more than `limit` bytes.
 */
export async function readBounded(file: string, limit: number): Promise<Buffer> {
  let handle;
  try {
    if (!(await stat(file)).isFile()) throw new BoundedReadError('not-a-file', file, limit);
    // Non-blocking: if the path was swapped for a FIFO after the stat, open still returns.
    handle = await open(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    if (error instanceof BoundedReadError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new BoundedReadError('missing', file, limit, code);
    if (code === 'EISDIR') throw new BoundedReadError('not-a-file', file, limit, code);
    throw new BoundedReadError('unreadable', file, limit, code ?? String(error));
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new BoundedReadError('not-a-file', file, limit);
    if (info.size > limit) throw new BoundedReadError('too-large', file, limit);
    const buffer = Buffer.alloc(Math.min(info.size, limit) + 1);
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    if (filled > limit) throw new BoundedReadError('too-large', file, limit);
    return buffer.subarray(0, filled);
  } catch (error) {
    if (error instanceof BoundedReadError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new BoundedReadError('unreadable', file, limit, code ?? String(error));
  } finally {
    await handle.close();
  }
}

/** UTF-8 text of a file of at most `limit` bytes. */
export async function readBoundedText(file: string, limit: number): Promise<string> {
  return (await readBounded(file, limit)).toString('utf8');
}

/** Limits are round numbers in one unit or the other: 1 MiB for configs, 30 MB for photos. */
function formatLimit(bytes: number): string {
  if (bytes % 2 ** 20 === 0) return `${bytes / 2 ** 20} MiB`;
  if (bytes % 1e6 === 0) return `${bytes / 1e6} MB`;
  return `${bytes} bytes`;
}
