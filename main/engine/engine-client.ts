import type { Worker } from 'node:worker_threads';
import type { RequestBody } from '../threads/request-body.ts';
import { startWorker } from '../threads/start-worker.ts';
import type { EngineApi, EngineStats, ModelInfo } from './engine.ts';
import { EngineError } from './errors.ts';
import type { LoadModelOptions } from './model.ts';
import type { RunControls } from './pipeline.ts';
import type { Img2ImgRequest, Img2ImgResult, StepProgress } from './types.ts';
import type { SerializedError, WorkerReply, WorkerRequest } from './worker-protocol.ts';

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  onProgress?: (progress: StepProgress) => void;
}

/**
 * The engine in a worker thread, behind the same surface as the in-process Engine. Callers on
 * the UI's thread stay responsive while onnxruntime computes.
 */
export class EngineClient implements EngineApi {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor() {
    this.worker = startWorker(new URL('./worker.js', import.meta.url));
    this.worker.on('message', (reply: WorkerReply) => this.receive(reply));
    this.worker.on('error', (error) => this.failAll(error));
    this.worker.on('exit', (code) =>
      this.failAll(new Error(`engine worker exited with code ${code}`)),
    );
  }

  load(options: LoadModelOptions): Promise<ModelInfo> {
    return this.call({ op: 'load', options }) as Promise<ModelInfo>;
  }

  img2img(
    request: Img2ImgRequest,
    controls: Omit<RunControls, 'caches'> = {},
  ): Promise<Img2ImgResult> {
    const { signal, onProgress } = controls;
    if (signal?.aborted) return Promise.reject(new EngineError('ABORTED', 'generation cancelled'));
    const id = this.nextId++;
    const abort = (): void => this.worker.postMessage({ id, op: 'abort' } satisfies WorkerRequest);
    signal?.addEventListener('abort', abort, { once: true });
    return (
      this.call({ op: 'img2img', request }, onProgress, id) as Promise<Img2ImgResult>
    ).finally(() => signal?.removeEventListener('abort', abort));
  }

  stats(): Promise<EngineStats> {
    return this.call({ op: 'stats' }) as Promise<EngineStats>;
  }

  async close(): Promise<void> {
    await this.call({ op: 'close' });
    await this.worker.terminate();
  }

  private call(
    body: RequestBody<WorkerRequest>,
    onProgress?: (progress: StepProgress) => void,
    id = this.nextId++,
  ): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, ...(onProgress ? { onProgress } : {}) });
      this.worker.postMessage({ ...body, id } as WorkerRequest);
    });
  }

  private receive(reply: WorkerReply): void {
    const pending = this.pending.get(reply.id);
    if (!pending) return;
    if (reply.kind === 'progress') {
      pending.onProgress?.(reply.progress);
      return;
    }
    this.pending.delete(reply.id);
    if (reply.kind === 'done') pending.resolve(reply.value);
    else pending.reject(deserialize(reply.error));
  }

  private failAll(error: Error): void {
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }
}

function deserialize(error: SerializedError): Error {
  return error.code
    ? new EngineError(error.code, error.message, error.file)
    : new Error(error.message);
}
