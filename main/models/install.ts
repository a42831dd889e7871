/**
 * Installs a catalogue model: plan the files (sizes and hashes settled), check the free space,
 * download into <dataDir>/models/.download-<id>/ (kept across a cancel or a crash, so the next
 * install resumes), validate with the engine's own loader, then rename into place.
 */
import { mkdir, readFile, rm, stat, statfs, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadModel } from '../engine/model.ts';
import { findEntry, planFiles, type Catalog, type HubTreeReader } from './catalog.ts';
import { precisionOfFolder } from './describe.ts';
import {
  bytesOnDisk,
  downloadFiles,
  type DownloadFile,
  type DownloadProgress,
} from './download.ts';
import { errnoCode, ModelError } from './errors.ts';
import type { ModelManifest } from './manifest.ts';
import { commitStaging, isAlive, isInstalled, modelsDir, type InstalledModel } from './registry.ts';

export interface InstallOptions {
  dataDir: string;
  catalog: Catalog;
  id: string;
  signal?: AbortSignal;
  onProgress?: (progress: DownloadProgress) => void;
  /** Files downloaded at once (default 3). */
  concurrency?: number;
  /** Free bytes on the disk holding `dir`; injectable so a test can fill the disk. */
  freeBytes?: (dir: string) => Promise<number>;
  readHubTree?: HubTreeReader;
  retryDelayMs?: number;
}

const LOCK_FILE = '.lock';

export function downloadDir(dataDir: string, id: string): string {
  return path.join(modelsDir(dataDir), `.download-${id}`);
}

export async function installFromCatalog(options: InstallOptions): Promise<InstalledModel> {
  const { dataDir, catalog, id } = options;
  const entry = findEntry(catalog, id);
  if (await isInstalled(dataDir, id)) {
    throw new ModelError(
      'ALREADY_INSTALLED',
      `"${id}" is already installed (remove it first to reinstall)`,
      id,
    );
  }
  const plan = await planFiles(catalog, entry, {
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.readHubTree ? { readHubTree: options.readHubTree } : {}),
  });
  const staging = downloadDir(dataDir, id);
  const files: DownloadFile[] = plan.map((f) => ({
    url: f.url,
    dest: path.join(staging, ...f.path.split('/')),
    name: f.path,
    size: f.size,
    expected: f.expected,
  }));

  await takeLock(staging, id);
  try {
    await checkFreeSpace(dataDir, files, options.freeBytes ?? freeBytesOn);
    const hashes = await downloadFiles(files, {
      concurrency: options.concurrency ?? 3,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
    });
    // The hashes prove the bytes are the publisher's; the loader proves they make a model we can run.
    const model = await loadModel({ dir: staging });
    await model.release();

    const manifest: ModelManifest = {
      formatVersion: 1,
      id,
      name: entry.name,
      family: entry.family!,
      precision: await precisionOfFolder(staging),
      source: 'catalog',
      origin: `${catalog.file}#${id}`,
      license: entry.license,
      ...(entry.provenance ? { provenance: entry.provenance } : {}),
      ...(entry.recommended ? { recommended: entry.recommended } : {}),
      bytes: files.reduce((n, f) => n + f.size, 0),
      installedAt: new Date().toISOString(),
      files: files.map((f) => ({ path: f.name, size: f.size, sha256: hashes.get(f.name)! })),
    };
    await rm(path.join(staging, LOCK_FILE), { force: true });
    return await commitStaging(dataDir, staging, manifest);
  } finally {
    await releaseLock(staging);
  }
}

/** Forgets a download in progress (its .part files too); false when there was none. */
export async function discardDownload(dataDir: string, id: string): Promise<boolean> {
  const staging = downloadDir(dataDir, id);
  const exists = await stat(staging).then(
    () => true,
    () => false,
  );
  if (!exists) return false;
  await takeLock(staging, id); // refuses while another process is downloading it
  await rm(staging, { recursive: true, force: true });
  return true;
}

async function checkFreeSpace(
  dataDir: string,
  files: readonly DownloadFile[],
  freeBytes: (dir: string) => Promise<number>,
): Promise<void> {
  const needed = files.reduce((n, f) => n + f.size, 0) - (await bytesOnDisk(files));
  const free = await freeBytes(modelsDir(dataDir));
  if (free < needed) {
    throw new ModelError(
      'DISK_FULL',
      `not enough free space in ${modelsDir(dataDir)}: the download needs ${formatBytes(needed)} more, ${formatBytes(free)} is free`,
      modelsDir(dataDir),
    );
  }
}

async function freeBytesOn(dir: string): Promise<number> {
  const stats = await statfs(dir);
  return stats.bavail * stats.bsize;
}

/** One installer per download folder: a second process would interleave writes to the same .part files. */
async function takeLock(staging: string, id: string): Promise<void> {
  await mkdir(staging, { recursive: true });
  const lock = path.join(staging, LOCK_FILE);
  try {
    await writeFile(lock, String(process.pid), { flag: 'wx' });
    return;
  } catch (error) {
    if (errnoCode(error) !== 'EEXIST') throw error;
  }
  const holder = Number(await readFile(lock, 'utf8').catch(() => ''));
  if (holder !== process.pid && isAlive(holder)) {
    throw new ModelError(
      'BUSY',
      `"${id}" is being installed by another process (pid ${holder})`,
      id,
    );
  }
  // A crashed installer's lock: take it over, and its .part files with it.
  await writeFile(lock, String(process.pid));
}

async function releaseLock(staging: string): Promise<void> {
  const lock = path.join(staging, LOCK_FILE);
  const holder = Number(await readFile(lock, 'utf8').catch(() => ''));
  if (holder === process.pid) await rm(lock, { force: true });
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}
