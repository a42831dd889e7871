import type { EngineApi, ModelInfo } from '../engine/engine.ts';
import { EngineClient } from '../engine/engine-client.ts';
import type { ProviderRequest } from '../engine/onnx/providers.ts';
import type { FaceDetector } from '../intake/face-types.ts';
import type { Moderator } from '../moderation/classifier.ts';
import type { Store } from '../store/index.ts';
import { loadStyleCatalog } from '../styles/catalog.ts';
import type { StyleCatalog } from '../styles/types.ts';
import { loadVision } from '../vision/vision-client.ts';

/**
 * Everything a run needs, loaded once and kept warm between runs: the engine's sessions, the face
 * detector, the NSFW classifier and the style catalogue.
 */
export interface JobResources {
  engine: EngineApi;
  model: ModelInfo;
  faces: FaceDetector;
  moderator: Pick<Moderator, 'classify'>;
  styles: StyleCatalog;
  store: Store;
}

export interface LoadJobResourcesOptions {
  modelDir: string;
  provider?: ProviderRequest;
  store: Store;
}

/** Loads in parallel: the engine and the vision models each load in their own thread. */
export async function loadJobResources(options: LoadJobResourcesOptions): Promise<JobResources> {
  const engine = new EngineClient();
  try {
    const [model, { faces, moderator }, styles] = await Promise.all([
      engine.load({ dir: options.modelDir, provider: options.provider ?? 'auto' }),
      loadVision(),
      loadStyleCatalog(),
    ]);
    return { engine, model, faces, moderator, styles, store: options.store };
  } catch (error) {
    await engine.close();
    throw error;
  }
}
