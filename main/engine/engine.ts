import { loadModel, type LoadModelOptions, type SdModel } from './model.ts';
import type { ProviderReport } from './onnx/providers.ts';
import { createCaches, img2img, type PipelineCaches, type RunControls } from './pipeline.ts';
import type { Img2ImgRequest, Img2ImgResult, ModelFamily } from './types.ts';

/** What the loaded model is and how it runs, for the UI's "device" line and the CLI's log. */
export interface ModelInfo extends ProviderReport {
  dir: string;
  encoder: 'full' | 'tiny';
  decoder: 'full' | 'tiny';
  family: ModelFamily;
}

/** session.run calls per component since the model was loaded (the caches are tested by these). */
export interface EngineStats {
  textEncoderCalls: number;
  imageEncoderCalls: number;
  unetCalls: number;
  decoderCalls: number;
}

/** The surface both the in-process engine and its worker-thread client offer. */
export interface EngineApi {
  load(options: LoadModelOptions): Promise<ModelInfo>;
  img2img(request: Img2ImgRequest, controls?: Omit<RunControls, 'caches'>): Promise<Img2ImgResult>;
  stats(): Promise<EngineStats>;
  close(): Promise<void>;
}

/**
 * Holds one model's sessions and caches for as long as it is in use: sessions are created once,
 * prompt embeddings and photo latents are computed once per model.
 */
export class Engine implements EngineApi {
  private model: SdModel | undefined;
  private loadedKey: string | undefined;
  private caches: PipelineCaches = createCaches();

  async load(options: LoadModelOptions): Promise<ModelInfo> {
    const key = JSON.stringify([
      options.dir,
      options.provider,
      options.autoencoder,
      options.intraOpThreads,
      options.memoryArena,
    ]);
    if (!this.model || key !== this.loadedKey) {
      await this.close();
      this.model = await loadModel(options);
      this.loadedKey = key;
      this.caches = createCaches();
    }
    return describe(this.model);
  }

  async img2img(
    request: Img2ImgRequest,
    controls: Omit<RunControls, 'caches'> = {},
  ): Promise<Img2ImgResult> {
    return img2img(this.loaded(), request, { ...controls, caches: this.caches });
  }

  async stats(): Promise<EngineStats> {
    const model = this.loaded();
    return {
      textEncoderCalls: model.textEncoder.calls,
      imageEncoderCalls: model.encoder.calls,
      unetCalls: model.unet.calls,
      decoderCalls: model.decoder.calls,
    };
  }

  async close(): Promise<void> {
    const model = this.model;
    this.model = undefined;
    this.loadedKey = undefined;
    await model?.release();
  }

  private loaded(): SdModel {
    if (!this.model) throw new Error('Engine.load() must succeed before the engine can run');
    return this.model;
  }
}

function describe(model: SdModel): ModelInfo {
  return {
    ...model.providers,
    dir: model.folder.dir,
    encoder: model.encoder.part.kind,
    decoder: model.decoder.part.kind,
    family: model.family,
  };
}
