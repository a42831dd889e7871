import type { EngineErrorCode } from './errors.ts';
import type { LoadModelOptions } from './model.ts';
import type { Img2ImgRequest, StepProgress } from './types.ts';

/** Messages from the engine client to its worker thread; `id` pairs each reply with its call. */
export type WorkerRequest =
  | { id: number; op: 'load'; options: LoadModelOptions }
  | { id: number; op: 'img2img'; request: Img2ImgRequest }
  | { id: number; op: 'stats' }
  | { id: number; op: 'abort' }
  | { id: number; op: 'close' };

/** An error as it crosses the thread boundary: EngineErrors keep their code and file. */
export interface SerializedError {
  code?: EngineErrorCode;
  message: string;
  file?: string;
}

export type WorkerReply =
  | { id: number; kind: 'progress'; progress: StepProgress }
  | { id: number; kind: 'done'; value: unknown }
  | { id: number; kind: 'error'; error: SerializedError };
