/**
 * Which model folder a run uses, decided the same way by the app, the CLIs and the e2e suite:
 * an explicit --model (a folder or an installed id), else the default installed model, else the
 * first installed; on CPU an int8 copy measured faster than its original takes the original's place.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { ProviderRequest } from '../engine/onnx/providers.ts';
import { readDefaultModelId } from './default-model.ts';
import { ModelError } from './errors.ts';
import { isModelId } from './model-id.ts';
import { getInstalled, listInstalled, type InstalledModel } from './registry.ts';

export interface ResolveOptions {
  dataDir: string;
  /** What the user named: a model folder, or an installed model's id. */
  explicit?: string;
  /** The setting, when the caller holds the store open; else read from the store. */
  defaultModelId?: string | null;
  /** Where the model will run (default cpu): only CPU prefers int8 copies. */
  provider?: ProviderRequest;
}

export interface ResolvedModel {
  dir: string;
  /** Absent when an explicit folder outside the data folder was named. */
  installed?: InstalledModel;
  /** One line for logs and the model screen: why this one. */
  reason: string;
}

export async function resolveModel(options: ResolveOptions): Promise<ResolvedModel> {
  const { dataDir, explicit } = options;
  if (explicit !== undefined) return resolveExplicit(dataDir, explicit);

  const installed = await listInstalled(dataDir);
  if (installed.length === 0) {
    throw new ModelError(
      'NO_MODEL_INSTALLED',
      'no model is installed: install one (npm run models -- install sd-turbo) or import a model folder (npm run models -- import DIR)',
    );
  }
  const defaultId =
    options.defaultModelId === undefined ? readDefaultModelId(dataDir) : options.defaultModelId;
  const byDefault = installed.find((m) => m.manifest.id === defaultId);
  const chosen =
    byDefault ?? installed.find((m) => m.manifest.source !== 'quantized') ?? installed[0]!;
  const why = byDefault ? 'the default model' : 'the first model installed (no default set)';

  if ((options.provider ?? 'cpu') === 'cpu') {
    const faster = installed.find(
      (m) =>
        m.manifest.quantizedFrom === chosen.manifest.id &&
        (m.manifest.quantization?.speedup ?? 0) > 1,
    );
    if (faster) {
      const speedup = faster.manifest.quantization!.speedup.toFixed(2);
      return {
        dir: faster.dir,
        installed: faster,
        reason: `${faster.manifest.id}: the int8 copy of ${chosen.manifest.id} (${why}), ${speedup}x faster on this CPU`,
      };
    }
  }
  return { dir: chosen.dir, installed: chosen, reason: `${chosen.manifest.id}: ${why}` };
}

async function resolveExplicit(dataDir: string, explicit: string): Promise<ResolvedModel> {
  const info = await stat(explicit).catch(() => undefined);
  if (info?.isDirectory() && (!isModelId(explicit) || explicit.includes(path.sep))) {
    return { dir: path.resolve(explicit), reason: `${explicit}: the folder named` };
  }
  if (isModelId(explicit)) {
    const installed = await getInstalled(dataDir, explicit).catch(() => undefined);
    if (installed) return { dir: installed.dir, installed, reason: `${explicit}: the model named` };
  }
  if (info?.isDirectory()) {
    return { dir: path.resolve(explicit), reason: `${explicit}: the folder named` };
  }
  const ids = (await listInstalled(dataDir)).map((m) => m.manifest.id);
  throw new ModelError(
    'MODEL_NOT_INSTALLED',
    `${explicit} is neither a model folder nor an installed model (installed: ${ids.join(', ') || 'none'})`,
    explicit,
  );
}
