/**
 * Imports a model folder the user already has (the offline path): validated with the engine's own
 * loader first, so a broken folder is refused with the loader's message naming the broken file
 * before gigabytes are copied; then copied (or hard-linked) into the data folder and installed
 * atomically.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { loadModel } from '../engine/model.ts';
import type { ModelFamily } from '../engine/types.ts';
import { precisionOfFolder } from './describe.ts';
import { errnoCode, ModelError } from './errors.ts';
import { listModelFiles, sha256File, type ManifestFile, type ModelManifest } from './manifest.ts';
import { isModelId, slugify } from './model-id.ts';
import {
  commitStaging,
  createStaging,
  linkOrCopy,
  uniqueId,
  type InstalledModel,
} from './registry.ts';

export interface ImportOptions {
  dataDir: string;
  /** A model folder in the diffusers/Optimum ONNX layout. */
  source: string;
  /** Hard-link the files instead of copying them (same disk only; falls back to a copy). */
  link?: boolean;
  /** Default: derived from the folder's name, de-duplicated. */
  id?: string;
  name?: string;
  /** Default: the family the engine tells from the model. */
  family?: ModelFamily;
  signal?: AbortSignal;
}

export async function importModel(options: ImportOptions): Promise<InstalledModel> {
  const source = path.resolve(options.source);
  const info = await stat(source).catch(() => undefined);
  if (info?.isFile()) {
    throw new ModelError(
      'IMPORT_UNSUPPORTED',
      `${source} is a file: import takes a model folder (unpack a .zip first)`,
      source,
    );
  }
  // EngineError (missing or truncated file, wrong I/O) passes through: it names the file.
  const model = await loadModel({ dir: source });
  const family = options.family ?? model.family;
  await model.release();

  if (options.id !== undefined && !isModelId(options.id)) {
    throw new ModelError(
      'MODEL_NOT_INSTALLED',
      `"${options.id}" is not a model id (lowercase letters, digits and dashes)`,
      options.id,
    );
  }
  const id = options.id ?? (await uniqueId(options.dataDir, slugify(path.basename(source))));
  const staging = await createStaging(options.dataDir);
  try {
    const files: ManifestFile[] = [];
    for (const relative of await listModelFiles(source)) {
      options.signal?.throwIfAborted();
      const from = path.join(source, ...relative.split('/'));
      const to = path.join(staging, ...relative.split('/'));
      const sha256 = options.link ? await linkThenHash(from, to) : await copyHashing(from, to);
      files.push({ path: relative, size: (await stat(to)).size, sha256 });
    }
    const manifest: ModelManifest = {
      formatVersion: 1,
      id,
      name: options.name ?? path.basename(source),
      family,
      precision: await precisionOfFolder(staging),
      source: 'import',
      origin: source,
      bytes: files.reduce((n, f) => n + f.size, 0),
      installedAt: new Date().toISOString(),
      files,
    };
    return await commitStaging(options.dataDir, staging, manifest);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    if (errnoCode(error) === 'ENOSPC') {
      throw new ModelError('DISK_FULL', `the disk is full while importing ${source}`, source);
    }
    if ((error as Error).name === 'AbortError')
      throw new ModelError('ABORTED', 'import cancelled', source);
    throw error;
  }
}

async function copyHashing(from: string, to: string): Promise<string> {
  await mkdir(path.dirname(to), { recursive: true });
  const hash = createHash('sha256');
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  await pipeline(createReadStream(from), tap, createWriteStream(to, { flags: 'wx' }));
  return hash.digest('hex');
}

async function linkThenHash(from: string, to: string): Promise<string> {
  await linkOrCopy(from, to);
  return sha256File(to);
}
