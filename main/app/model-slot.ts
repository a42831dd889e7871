/**
 * The model the app runs: resolved as the CLIs resolve it (an explicit option, else the default
 * installed model), its resources loaded on first use and kept warm between runs, and replaced
 * when the user picks another default.
 */
import type { ModelInfo } from '../engine/engine.ts';
import type { ProviderRequest } from '../engine/onnx/providers.ts';
import { loadJobResources, type JobResources } from '../jobs/resources.ts';
import { ModelError } from '../models/errors.ts';
import { listInstalled } from '../models/registry.ts';
import { resolveModel, type ResolvedModel } from '../models/resolve.ts';
import type { Store } from '../store/index.ts';

export interface ModelSlotOptions {
  store: Store;
  /** A model folder or installed id that overrides the default. */
  explicit?: string;
  provider?: ProviderRequest;
}

interface Warm {
  dir: string;
  loading: Promise<JobResources>;
  /** Set once loaded: what runs the model. */
  info?: ModelInfo;
}

export class ModelSlot {
  private warm: Warm | undefined;

  constructor(private readonly options: ModelSlotOptions) {}

  /** The model the next run uses; ModelError NO_MODEL_INSTALLED when there is none. */
  resolve(): Promise<ResolvedModel> {
    const { store, explicit } = this.options;
    return resolveModel({
      dataDir: store.dataDir,
      ...(explicit === undefined ? {} : { explicit }),
      defaultModelId: store.settings().defaultModelId,
    });
  }

  /** Like resolve, but null when no model is installed (the UI shows its model screen). */
  async resolveIfAny(): Promise<ResolvedModel | null> {
    try {
      return await this.resolve();
    } catch (error) {
      if (error instanceof ModelError && error.code === 'NO_MODEL_INSTALLED') return null;
      throw error;
    }
  }

  /**
   * The default the model screen marks: the user's choice while it is installed, else the model
   * runs fall back to (an explicit option overrides both, and marks nothing).
   */
  async defaultId(): Promise<string | null> {
    const { dataDir } = this.options.store;
    const installed = await listInstalled(dataDir);
    if (installed.length === 0) return null;
    const chosen = this.options.store.settings().defaultModelId;
    if (installed.some((m) => m.manifest.id === chosen)) return chosen;
    const fallback = await resolveModel({ dataDir, defaultModelId: null });
    return fallback.installed?.manifest.id ?? null;
  }

  /** What a run needs for the model `resolve` picks now; a load that failed is tried afresh. */
  async resources(): Promise<JobResources> {
    const { dir } = await this.resolve();
    if (this.warm?.dir === dir) return this.warm.loading;
    const previous = this.warm;
    const warm: Warm = {
      dir,
      loading: loadJobResources({
        modelDir: dir,
        store: this.options.store,
        ...(this.options.provider === undefined ? {} : { provider: this.options.provider }),
      }),
    };
    this.warm = warm;
    warm.loading.then(
      (resources) => (warm.info = resources.model),
      () => {
        if (this.warm === warm) this.warm = undefined;
      },
    );
    // One run at a time, and a run takes its resources before any change: nothing uses these.
    await release(previous);
    return warm.loading;
  }

  /** What runs the model in `dir`, once it has loaded here; null before. */
  loaded(dir: string): ModelInfo | null {
    return this.warm?.dir === dir ? (this.warm.info ?? null) : null;
  }

  async close(): Promise<void> {
    const warm = this.warm;
    this.warm = undefined;
    await release(warm);
  }
}

async function release(warm: Warm | undefined): Promise<void> {
  const resources = await warm?.loading.catch(() => undefined);
  await resources?.engine.close();
}
