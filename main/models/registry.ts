/**
 * Installed models: <dataDir>/models/<id>/ is the model folder itself, with its manifest written
 * last. Everything is built in a staging folder beside it and renamed into place in one step, so
 * a half-made model never appears in the list.
 */
import { randomUUID } from 'node:crypto';
import { link, mkdir, readdir, rename, rm, stat, copyFile } from 'node:fs/promises';
import path from 'node:path';
import { errnoCode, ModelError } from './errors.ts';
import {
  MANIFEST_FILE,
  readManifest,
  sha256File,
  writeManifest,
  type ModelManifest,
} from './manifest.ts';
import { isModelId } from './model-id.ts';

/** A manifest and the folder it describes. */
export interface InstalledModel {
  manifest: ModelManifest;
  dir: string;
}

const PARTIAL_PREFIX = '.partial-';

export function modelsDir(dataDir: string): string {
  return path.join(dataDir, 'models');
}

export function modelDir(dataDir: string, id: string): string {
  if (!isModelId(id)) {
    throw new ModelError(
      'MODEL_NOT_INSTALLED',
      `"${id}" is not a model id (lowercase letters, digits and dashes)`,
      id,
    );
  }
  return path.join(modelsDir(dataDir), id);
}

/** Installed models, oldest first; folders without a readable manifest are not listed. */
export async function listInstalled(dataDir: string): Promise<InstalledModel[]> {
  const names = await readdir(modelsDir(dataDir)).catch(() => [] as string[]);
  const found: InstalledModel[] = [];
  for (const name of names.filter(isModelId)) {
    const dir = path.join(modelsDir(dataDir), name);
    const manifest = await readManifest(dir).catch(() => undefined);
    if (manifest?.id === name) found.push({ manifest, dir });
  }
  return found.sort(
    (a, b) =>
      a.manifest.installedAt.localeCompare(b.manifest.installedAt) ||
      a.manifest.id.localeCompare(b.manifest.id),
  );
}

export async function getInstalled(dataDir: string, id: string): Promise<InstalledModel> {
  const dir = modelDir(dataDir, id);
  const isInstalled = await stat(path.join(dir, MANIFEST_FILE)).then(
    () => true,
    () => false,
  );
  if (!isInstalled) {
    const ids = (await listInstalled(dataDir)).map((m) => m.manifest.id);
    throw new ModelError(
      'MODEL_NOT_INSTALLED',
      `no installed model "${id}" (installed: ${ids.join(', ') || 'none'})`,
      id,
    );
  }
  return { manifest: await readManifest(dir), dir };
}

export async function isInstalled(dataDir: string, id: string): Promise<boolean> {
  return stat(path.join(modelDir(dataDir, id), MANIFEST_FILE)).then(
    () => true,
    () => false,
  );
}

/** `base`, or base-2, base-3 … : the first id no installed model has. */
export async function uniqueId(dataDir: string, base: string): Promise<string> {
  for (let n = 1; ; n++) {
    const id = n === 1 ? base : `${base.slice(0, 60)}-${n}`;
    const taken = await stat(modelDir(dataDir, id)).then(
      () => true,
      () => false,
    );
    if (!taken) return id;
  }
}

/**
 * A fresh staging folder for a model being made. Its name carries our pid, so the start-up
 * clean-up can tell a crashed process's leftovers from a staging folder another process is filling.
 */
export async function createStaging(dataDir: string): Promise<string> {
  await mkdir(modelsDir(dataDir), { recursive: true });
  const dir = path.join(modelsDir(dataDir), `${PARTIAL_PREFIX}${process.pid}-${randomUUID()}`);
  await mkdir(dir);
  return dir;
}

/** Writes the manifest into the staging folder, then renames the folder into place. */
export async function commitStaging(
  dataDir: string,
  staging: string,
  manifest: ModelManifest,
): Promise<InstalledModel> {
  await writeManifest(staging, manifest);
  const dir = modelDir(dataDir, manifest.id);
  try {
    await rename(staging, dir);
  } catch (error) {
    if (['ENOTEMPTY', 'EEXIST', 'EPERM'].includes(errnoCode(error))) {
      throw new ModelError(
        'ALREADY_INSTALLED',
        `a model "${manifest.id}" is already installed`,
        manifest.id,
      );
    }
    throw error;
  }
  return { manifest, dir };
}

/** Removes staging folders whose process is gone (a crash or a kill mid-install). */
export async function cleanLeftovers(dataDir: string): Promise<string[]> {
  const names = await readdir(modelsDir(dataDir)).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(PARTIAL_PREFIX)) continue;
    const pid = Number(name.slice(PARTIAL_PREFIX.length).split('-')[0]);
    if (isAlive(pid)) continue;
    await rm(path.join(modelsDir(dataDir), name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, owned by someone else.
    return errnoCode(error) === 'EPERM';
  }
}

/** Removes an installed model: renamed aside first, so a half-deleted folder is never listed. */
export async function removeInstalled(dataDir: string, id: string): Promise<void> {
  const { dir } = await getInstalled(dataDir, id);
  const doomed = path.join(modelsDir(dataDir), `${PARTIAL_PREFIX}${process.pid}-removing-${id}`);
  await rename(dir, doomed);
  await rm(doomed, { recursive: true, force: true });
}

export interface VerifyProblem {
  path: string;
  problem: 'missing' | 'changed';
}

/** Re-hashes every file against the manifest written at install. */
export async function verifyInstalled(
  dataDir: string,
  id: string,
): Promise<{ model: InstalledModel; problems: VerifyProblem[] }> {
  const model = await getInstalled(dataDir, id);
  const problems: VerifyProblem[] = [];
  for (const file of model.manifest.files) {
    const full = path.join(model.dir, ...file.path.split('/'));
    const info = await stat(full).catch(() => undefined);
    if (!info?.isFile()) problems.push({ path: file.path, problem: 'missing' });
    else if (info.size !== file.size || (await sha256File(full)) !== file.sha256) {
      problems.push({ path: file.path, problem: 'changed' });
    }
  }
  return { model, problems };
}

/**
 * A hard link where the file system allows one (no second copy of gigabytes of unchanged
 * weights), else a copy. Both make the target independent of the source being deleted later.
 */
export async function linkOrCopy(from: string, to: string): Promise<void> {
  await mkdir(path.dirname(to), { recursive: true });
  try {
    await link(from, to);
  } catch (error) {
    if (!['EXDEV', 'EPERM', 'ENOTSUP', 'EMLINK'].includes(errnoCode(error))) throw error;
    await copyFile(from, to);
  }
}
