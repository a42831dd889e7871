/**
 * Installs a model from its weights: a diffusers folder of safetensors or a single-file
 * checkpoint is built into ONNX graphs in a staging folder (build-folder.ts), checked by the
 * engine's own loader, then installed atomically. A failure or a cancel removes the staging
 * folder, so nothing half-built is ever listed; a crash leaves it to cleanLeftovers.
 */
import { rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { loadModel } from '../../engine/model.ts';
import type { ModelFamily } from '../../engine/types.ts';
import { precisionOfFolder } from '../describe.ts';
import { importFailure } from '../errors.ts';
import { importedManifest, listModelFiles, sha256File, type ManifestFile } from '../manifest.ts';
import { commitStaging, createStaging, type InstalledModel } from '../registry.ts';
import {
  type BuildPrecision,
  type BuildProgress,
  buildFromCheckpoint,
  buildFromDiffusers,
} from './build-folder.ts';
import { isDiffusersFolder } from './diffusers-folder.ts';

export type WeightsKind = 'diffusers' | 'checkpoint';

/** What `source` is when it holds weights rather than ONNX graphs; undefined otherwise. */
export async function weightsKind(source: string): Promise<WeightsKind | undefined> {
  const info = await stat(source).catch(() => undefined);
  if (info?.isFile())
    return source.toLowerCase().endsWith('.safetensors') ? 'checkpoint' : undefined;
  if (!info?.isDirectory()) return undefined;
  const hasOnnx = await stat(path.join(source, 'unet', 'model.onnx')).then(
    () => true,
    () => false,
  );
  return !hasOnnx && (await isDiffusersFolder(source)) ? 'diffusers' : undefined;
}

export interface WeightsImportOptions {
  dataDir: string;
  source: string;
  kind: WeightsKind;
  /** Already checked and free (import.ts). */
  id: string;
  name: string;
  family?: ModelFamily;
  precision?: BuildPrecision;
  signal?: AbortSignal;
  onProgress?: (progress: BuildProgress) => void;
}

export async function importFromWeights(options: WeightsImportOptions): Promise<InstalledModel> {
  const { source } = options;
  const staging = await createStaging(options.dataDir);
  try {
    const build = options.kind === 'checkpoint' ? buildFromCheckpoint : buildFromDiffusers;
    const built = await build(source, staging, {
      ...(options.precision ? { precision: options.precision } : {}),
      ...(options.family ? { family: options.family } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    // What the engine will load, loaded once now: a graph that cannot run is never installed.
    const model = await loadModel({ dir: staging });
    const family = options.family ?? built.family ?? model.family;
    await model.release();
    const files: ManifestFile[] = [];
    for (const relative of await listModelFiles(staging)) {
      const file = path.join(staging, ...relative.split('/'));
      files.push({ path: relative, size: (await stat(file)).size, sha256: await sha256File(file) });
    }
    const manifest = importedManifest({
      id: options.id,
      name: options.name,
      family,
      precision: await precisionOfFolder(staging),
      origin: source,
      files,
    });
    return await commitStaging(options.dataDir, staging, manifest);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw importFailure(error, source);
  }
}
