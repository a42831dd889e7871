import os from 'node:os';
import path from 'node:path';
import { storeErrorFromIo } from './errors.ts';
import type { FileSystem } from './file-system.ts';

/** The product name Electron would use for app.getPath('userData'). */
const APP_NAME = 'Avatar Studio';

/**
 * The one data folder shared by the app, every CLI and the tests: AVATAR_STUDIO_DATA when set,
 * else the per-user folder Electron's app.getPath('userData') resolves to, so the headless CLI
 * and the desktop app find the same database without Electron being loaded.
 */
export function resolveDataDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = os.homedir(),
): string {
  const override = env.AVATAR_STUDIO_DATA;
  if (override) return path.resolve(override);
  switch (platform) {
    case 'darwin':
      return path.join(home, 'Library', 'Application Support', APP_NAME);
    case 'win32':
      return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), APP_NAME);
    default:
      return path.join(env.XDG_CONFIG_HOME || path.join(home, '.config'), APP_NAME);
  }
}

export function databasePath(dataDir: string): string {
  return path.join(dataDir, 'avatar-studio.sqlite');
}

/** Encrypted images only: the sweeper treats anything here without a live record as debris. */
export function imagesDir(dataDir: string): string {
  return path.join(dataDir, 'images');
}

/**
 * Creates the folders and proves they take a write, so a read-only or full data folder is
 * refused at start-up with a clear error instead of half-way through a user's run.
 */
export function prepareDataDir(dataDir: string, fsys: FileSystem): void {
  const probe = path.join(dataDir, `.write-probe-${process.pid}`);
  try {
    fsys.mkdirSync(imagesDir(dataDir), { recursive: true, mode: 0o700 });
    const fd = fsys.openSync(probe, 'w', 0o600);
    try {
      fsys.writeSync(fd, Buffer.alloc(1));
    } finally {
      fsys.closeSync(fd);
    }
    fsys.unlinkSync(probe);
  } catch (error) {
    throw storeErrorFromIo(error, `preparing the data folder ${dataDir}`);
  }
}
