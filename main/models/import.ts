/**
 * Imports a model folder the user already has (the offline path): validated with the engine's own
 * loader first, so a broken folder is refused with the loader's message naming the broken file
 * before gigabytes are copied; then copied (or hard-linked) into the data folder and installed
 * atomically.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, realpath, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { loadModel } from '../engine/model.ts';
import { deterministicEncoder, ENCODER_FILES } from '../engine/onnx/deterministic-encoder.ts';
import type { ModelFamily } from '../engine/types.ts';
import { precisionOfFolder } from './describe.ts';
import { importFailure, ModelError } from './errors.ts';
import { type BuildProgress } from './from-weights/build-folder.ts';
import { importFromWeights, weightsKind } from './from-weights/import-weights.ts';
import {
  listModelFiles,
  sha256File,
  type ChangedFile,
  type ManifestFile,
  importedManifest,
} from './manifest.ts';
import { isModelId, slugify } from './model-id.ts';
import { upcastFolder } from './upcast-fp16.ts';
import {
  checkIdFree,
  commitStaging,
  createStaging,
  linkOrCopy,
  uniqueId,
  type InstallArea,
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
  /**
   * ONNX folders: 'fp32' upcasts an fp16 export (for CPUs, see upcast-fp16.ts); 'fp16' keeps an
   * fp16 one and refuses others (no downcast yet); 'int8' is left to `quantize` after import.
   * Weights (a diffusers folder, a .safetensors checkpoint) are built at this precision
   * (default fp32).
   */
  precision?: 'fp32' | 'fp16' | 'int8';
  signal?: AbortSignal;
  /** Building from weights: which component is being built. */
  onProgress?: (progress: BuildProgress) => void;
}

export async function importModel(options: ImportOptions): Promise<InstalledModel> {
  const source = path.resolve(options.source);
  const kind = await weightsKind(source);
  if (kind) {
    return importFromWeights({
      ...options,
      source,
      kind,
      id: await checkedId(options, source),
      name: options.name ?? path.basename(source).replace(/\.safetensors$/i, ''),
    });
  }
  const info = await stat(source).catch(() => undefined);
  if (info?.isFile()) {
    throw new ModelError(
      'IMPORT_UNSUPPORTED',
      `${source} is a file: import takes a model folder or a .safetensors checkpoint (unpack a .zip first)`,
      source,
    );
  }
  // EngineError (missing or truncated file, wrong I/O) passes through: it names the file.
  const model = await loadModel({ dir: source });
  const family = options.family ?? model.family;
  await model.release();
  if (options.precision === 'fp32' || options.precision === 'fp16') {
    await checkPrecision(source, options.precision);
  }

  const id = await checkedId(options, source);
  const staging = await createStaging(options.dataDir);
  try {
    const files: ManifestFile[] = [];
    const changed: ChangedFile[] = [];
    const upcast =
      options.precision === 'fp32'
        ? await upcastFolder(source, staging, 'IMPORT_UNSUPPORTED', options.signal)
        : { replaced: new Set<string>(), written: [] };
    for (const relative of upcast.written) {
      const file = path.join(staging, ...relative.split('/'));
      if (relative.endsWith('.onnx')) {
        // An upcast encoder that samples its own latent is made deterministic as a copied one is.
        const deterministic = (ENCODER_FILES as readonly string[]).includes(relative)
          ? await deterministicEncoder(file, relative)
          : undefined;
        if (deterministic) await writeFile(file, deterministic.bytes);
        const originalSha256 = await sha256File(path.join(source, ...relative.split('/')));
        const change = ['fp16 upcast to fp32', deterministic?.change].filter(Boolean).join('; ');
        changed.push({ path: relative, originalSha256, change });
      }
      files.push({ path: relative, size: (await stat(file)).size, sha256: await sha256File(file) });
    }
    for (const relative of await listModelFiles(source)) {
      options.signal?.throwIfAborted();
      if (upcast.replaced.has(relative)) continue;
      // The file itself, not a link to it: a hard link to a relative symlink would dangle.
      const from = await realpath(path.join(source, ...relative.split('/')));
      const to = path.join(staging, ...relative.split('/'));
      // An encoder that samples its own latent is installed deterministic: written anew, never
      // linked, so the source's file stays as it was.
      const deterministic = (ENCODER_FILES as readonly string[]).includes(relative)
        ? await deterministicEncoder(from, relative)
        : undefined;
      let sha256: string;
      if (deterministic) {
        sha256 = await writeHashing(to, deterministic.bytes);
        const originalSha256 = await sha256File(from);
        changed.push({ path: relative, originalSha256, change: deterministic.change });
      } else {
        sha256 = options.link ? await linkThenHash(from, to) : await copyHashing(from, to);
      }
      files.push({ path: relative, size: (await stat(to)).size, sha256 });
    }
    files.sort((a, b) => a.path.localeCompare(b.path));
    const manifest = importedManifest({
      id,
      name: options.name ?? path.basename(source),
      family,
      precision: await precisionOfFolder(staging),
      origin: source,
      files,
      changed,
    });
    return await commitStaging(options.dataDir, staging, manifest);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw importFailure(error, source);
  }
}

/**
 * The id asked for, if it is one and no other kind of install holds it, else one derived from
 * the source's name and not yet taken by a model or a LoRA.
 */
export async function checkedId(
  options: { dataDir: string; id?: string },
  source: string,
  area: InstallArea = 'models',
): Promise<string> {
  if (options.id !== undefined && !isModelId(options.id)) {
    throw new ModelError(
      'MODEL_NOT_INSTALLED',
      `"${options.id}" is not an id (lowercase letters, digits and dashes)`,
      options.id,
    );
  }
  const stem = path.basename(source).replace(/\.safetensors$/i, '');
  if (options.id === undefined) return uniqueId(options.dataDir, slugify(stem));
  await checkIdFree(options.dataDir, area, options.id); // a LoRA's id, refused before any build
  return options.id;
}

/** A precision this folder cannot be imported at, refused before anything is copied. */
async function checkPrecision(source: string, wanted: 'fp32' | 'fp16'): Promise<void> {
  const precision = await precisionOfFolder(source);
  if (precision === wanted || (wanted === 'fp32' && precision === 'fp16')) return;
  const why =
    precision === 'int8'
      ? 'int8 weights cannot be turned back into floats'
      : 'fp32 is not downcast to fp16 (fp16 runs slower than fp32 on CPUs)';
  throw new ModelError('IMPORT_UNSUPPORTED', `${source} is ${precision}: ${why}`, source);
}

/** `from` copied to a new file `to`, hashed on the way: its SHA-256. */
export async function copyHashing(from: string, to: string): Promise<string> {
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

async function writeHashing(to: string, bytes: Uint8Array): Promise<string> {
  await mkdir(path.dirname(to), { recursive: true });
  await writeFile(to, bytes, { flag: 'wx' });
  return createHash('sha256').update(bytes).digest('hex');
}

/** `from` hard-linked (else copied) to `to`, then hashed: its SHA-256. */
export async function linkThenHash(from: string, to: string): Promise<string> {
  await linkOrCopy(from, to);
  return sha256File(to);
}
