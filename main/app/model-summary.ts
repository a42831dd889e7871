/** Models as the model screen lists them: what they are, how big, which is the default. */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { ModelSummary } from '../api/contract.ts';
import type { ModelInfo } from '../engine/engine.ts';
import { precisionOfFolder } from '../models/describe.ts';
import { listModelFiles } from '../models/manifest.ts';
import type { InstalledModel } from '../models/registry.ts';

export function installedSummary(model: InstalledModel, defaultId: string | null): ModelSummary {
  const { id, name, family, precision, bytes, provenance } = model.manifest;
  return {
    id,
    name,
    family,
    precision,
    bytes,
    isDefault: id === defaultId,
    ...(provenance ? { provenance } : {}),
  };
}

/**
 * A folder used in place of an installed model (a development or e2e option): it has no
 * manifest, so what it is comes from the loaded model and the files themselves.
 */
export async function folderSummary(dir: string, loaded: ModelInfo): Promise<ModelSummary> {
  const files = await listModelFiles(dir);
  const sizes = await Promise.all(files.map((file) => stat(path.join(dir, file))));
  return {
    id: path.basename(dir),
    name: path.basename(dir),
    family: loaded.family,
    precision: await precisionOfFolder(dir),
    bytes: sizes.reduce((sum, info) => sum + info.size, 0),
    isDefault: false,
  };
}
