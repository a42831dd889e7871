import fs from 'node:fs';

/**
 * The few synchronous fs calls the store makes, injectable so tests can make the disk full or the
 * folder read-only (as root, chmod 0555 does not stop writes) without mounting anything.
 */
export type FileSystem = Pick<
  typeof fs,
  | 'mkdirSync'
  | 'openSync'
  | 'writeSync'
  | 'fsyncSync'
  | 'closeSync'
  | 'renameSync'
  | 'unlinkSync'
  | 'readFileSync'
  | 'readdirSync'
  | 'fstatSync'
>;

export const nodeFileSystem: FileSystem = fs;
