/** The default model is a store setting (defaultModelId), so the app and every CLI share it. */
import { existsSync } from 'node:fs';
import { databasePath } from '../store/data-folder.ts';
import { openStore } from '../store/index.ts';
import { getInstalled } from './registry.ts';

/** null when never set, and without creating a database where there is none yet. */
export function readDefaultModelId(dataDir: string): string | null {
  if (!existsSync(databasePath(dataDir))) return null;
  const store = openStore({ dataDir, sweepOnTimer: false });
  try {
    return store.settings().defaultModelId;
  } finally {
    store.close();
  }
}

/** Makes an installed model the default (MODEL_NOT_INSTALLED otherwise). */
export async function setDefaultModel(dataDir: string, id: string): Promise<void> {
  await getInstalled(dataDir, id);
  const store = openStore({ dataDir, sweepOnTimer: false });
  try {
    store.updateSettings({ defaultModelId: id });
  } finally {
    store.close();
  }
}
