/**
 * Installed models: <dataDir>/models/<id>/ is the model folder itself, with its manifest written
 * last. Everything is built in a staging folder beside it and renamed into place in one step, so
 * a half-made model never appears in the list. LoRAs (loras.ts) live the same way in
 * <dataDir>/loras/<id>/; models and LoRAs share one space of ids.
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
  type ManifestFile,
  type ModelManifest,
} from './manifest.ts';
import { isModelId } from './model-id.ts';

/** A manifest and the folder it describes. */
export interface InstalledModel {
  manifest: ModelManifest;
  dir: string;
}

const PARTIAL_PREFIX = '.partial-';

/** The data folder's install areas: models, and LoRAs (loras.ts). */
export type InstallArea = 'models' | 'loras';
const AREAS: readonly InstallArea[] = ['models', 'loras'];
const AREA_LABEL: Readonly<Record<InstallArea, string>> = { models: 'model', loras: 'LoRA' };

export function areaDir(dataDir: string, area: InstallArea): string {
  return path.join(dataDir, area);
}

export function modelsDir(dataDir: string): string {
  return areaDir(dataDir, 'models');
}

/** <dataDir>/<area>/<id>, once `id` is checked to be an id. */
export function installDir(dataDir: string, area: InstallArea, id: string): string {
  if (!isModelId(id)) {
    throw new ModelError(
      'MODEL_NOT_INSTALLED',
      `"${id}" is not a ${AREA_LABEL[area]} id (lowercase letters, digits and dashes)`,
      id,
    );
  }
  return path.join(areaDir(dataDir, area), id);
}

export function modelDir(dataDir: string, id: string): string {
  return installDir(dataDir, 'models', id);
}

/** The area whose folder `id` names already (installed, or a folder without a manifest). */
export async function idTakenIn(dataDir: string, id: string): Promise<InstallArea | undefined> {
  for (const area of AREAS) {
    if (await exists(installDir(dataDir, area, id))) return area;
  }
  return undefined;
}

/** Refuses an id another area holds: a LoRA's id is never a model's, nor the reverse. */
export async function checkIdFree(dataDir: string, area: InstallArea, id: string): Promise<void> {
  const taken = await idTakenIn(dataDir, id);
  if (taken && taken !== area) {
    throw new ModelError(
      'ALREADY_INSTALLED',
      `a ${AREA_LABEL[taken]} "${id}" is installed: models and LoRAs share ids, choose another (--id)`,
      id,
    );
  }
}

/** How an area's install records are read: the record's file name in a folder, and its reader. */
export interface AreaRecord<M extends { id: string; installedAt: string }> {
  area: InstallArea;
  file: string;
  read: (dir: string) => Promise<M>;
}

const MODEL_RECORD: AreaRecord<ModelManifest> = {
  area: 'models',
  file: MANIFEST_FILE,
  read: readManifest,
};

/** Installed models, oldest first; folders without a readable manifest are not listed. */
export async function listInstalled(dataDir: string): Promise<InstalledModel[]> {
  return listArea(dataDir, MODEL_RECORD);
}

export async function getInstalled(dataDir: string, id: string): Promise<InstalledModel> {
  return getFromArea(dataDir, MODEL_RECORD, id);
}

export async function isInstalled(dataDir: string, id: string): Promise<boolean> {
  return isInArea(dataDir, MODEL_RECORD, id);
}

/** An area's installed folders, oldest first; folders without a readable record are not listed. */
export async function listArea<M extends { id: string; installedAt: string }>(
  dataDir: string,
  record: AreaRecord<M>,
): Promise<{ manifest: M; dir: string }[]> {
  const root = areaDir(dataDir, record.area);
  const names = await readdir(root).catch(() => [] as string[]);
  const found: { manifest: M; dir: string }[] = [];
  for (const name of names.filter(isModelId)) {
    const dir = path.join(root, name);
    const manifest = await record.read(dir).catch(() => undefined);
    if (manifest?.id === name) found.push({ manifest, dir });
  }
  return found.sort(
    (a, b) =>
      a.manifest.installedAt.localeCompare(b.manifest.installedAt) ||
      a.manifest.id.localeCompare(b.manifest.id),
  );
}

/** The installed `id` of an area; MODEL_NOT_INSTALLED listing what the area holds. */
export async function getFromArea<M extends { id: string; installedAt: string }>(
  dataDir: string,
  record: AreaRecord<M>,
  id: string,
): Promise<{ manifest: M; dir: string }> {
  const dir = installDir(dataDir, record.area, id);
  if (!(await isInArea(dataDir, record, id))) {
    const ids = (await listArea(dataDir, record)).map((m) => m.manifest.id);
    throw new ModelError(
      'MODEL_NOT_INSTALLED',
      `no installed ${AREA_LABEL[record.area]} "${id}" (installed: ${ids.join(', ') || 'none'})`,
      id,
    );
  }
  return { manifest: await record.read(dir), dir };
}

export async function isInArea<M extends { id: string; installedAt: string }>(
  dataDir: string,
  record: AreaRecord<M>,
  id: string,
): Promise<boolean> {
  return exists(path.join(installDir(dataDir, record.area, id), record.file));
}

/** `base`, or base-2, base-3 … : the first id no installed model or LoRA has. */
export async function uniqueId(dataDir: string, base: string): Promise<string> {
  for (let n = 1; ; n++) {
    const id = n === 1 ? base : `${base.slice(0, 60)}-${n}`;
    if (!(await idTakenIn(dataDir, id))) return id;
  }
}

/**
 * A fresh staging folder for a model (or, in 'loras', a LoRA) being made. Its name carries our
 * pid, so the start-up clean-up can tell a crashed process's leftovers from a staging folder
 * another process is filling.
 */
export async function createStaging(
  dataDir: string,
  area: InstallArea = 'models',
): Promise<string> {
  const root = areaDir(dataDir, area);
  await mkdir(root, { recursive: true });
  const dir = path.join(root, `${PARTIAL_PREFIX}${process.pid}-${randomUUID()}`);
  await mkdir(dir);
  return dir;
}

/** Writes the manifest into the staging folder, then renames the folder into place. */
export async function commitStaging(
  dataDir: string,
  staging: string,
  manifest: ModelManifest,
): Promise<InstalledModel> {
  const dir = await commitFolder(dataDir, 'models', staging, manifest.id, (folder) =>
    writeManifest(folder, manifest),
  );
  return { manifest, dir };
}

/**
 * The one step that installs: `writeRecord` writes the manifest into the staging folder (last),
 * then the folder is renamed to <area>/<id>. Returns that folder.
 */
export async function commitFolder(
  dataDir: string,
  area: InstallArea,
  staging: string,
  id: string,
  writeRecord: (staging: string) => Promise<void>,
): Promise<string> {
  await checkIdFree(dataDir, area, id);
  await writeRecord(staging);
  const dir = installDir(dataDir, area, id);
  try {
    await rename(staging, dir);
  } catch (error) {
    if (['ENOTEMPTY', 'EEXIST', 'EPERM'].includes(errnoCode(error))) {
      throw new ModelError(
        'ALREADY_INSTALLED',
        `a ${AREA_LABEL[area]} "${id}" is already installed`,
        id,
      );
    }
    throw error;
  }
  return dir;
}

/** Removes staging folders whose process is gone (a crash or a kill mid-install), in every area. */
export async function cleanLeftovers(dataDir: string): Promise<string[]> {
  const removed: string[] = [];
  for (const area of AREAS) {
    const root = areaDir(dataDir, area);
    const names = await readdir(root).catch(() => [] as string[]);
    for (const name of names) {
      if (!name.startsWith(PARTIAL_PREFIX)) continue;
      const pid = Number(name.slice(PARTIAL_PREFIX.length).split('-')[0]);
      if (isAlive(pid)) continue;
      await rm(path.join(root, name), { recursive: true, force: true });
      removed.push(area === 'models' ? name : `${area}/${name}`);
    }
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
  await removeFolder(dataDir, 'models', dir, id);
}

/** An installed folder renamed aside, then deleted: a half-deleted one is never listed. */
export async function removeFolder(
  dataDir: string,
  area: InstallArea,
  dir: string,
  id: string,
): Promise<void> {
  const doomed = path.join(
    areaDir(dataDir, area),
    `${PARTIAL_PREFIX}${process.pid}-removing-${id}`,
  );
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
  return { model, problems: await verifyFiles(model.dir, model.manifest.files) };
}

/** Each of `files` re-hashed in `dir`: what is missing or no longer the bytes installed. */
export async function verifyFiles(
  dir: string,
  files: readonly ManifestFile[],
): Promise<VerifyProblem[]> {
  const problems: VerifyProblem[] = [];
  for (const file of files) {
    const full = path.join(dir, ...file.path.split('/'));
    const info = await stat(full).catch(() => undefined);
    if (!info?.isFile()) problems.push({ path: file.path, problem: 'missing' });
    else if (info.size !== file.size || (await sha256File(full)) !== file.sha256) {
      problems.push({ path: file.path, problem: 'changed' });
    }
  }
  return problems;
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

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}
