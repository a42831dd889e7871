import { parentPort } from 'node:worker_threads';
import { Engine } from './engine.ts';
import { isEngineError } from './errors.ts';
import type { Img2ImgResult } from './types.ts';
import type { SerializedError, WorkerReply, WorkerRequest } from './worker-protocol.ts';

/**
 * The engine's thread: onnxruntime calls block for seconds, so they never run on the thread
 * that serves the UI. Requests run one at a time in arrival order; `abort` jumps the queue.
 */
const port = parentPort;
if (!port) throw new Error('main/engine/worker.ts must run as a worker thread');

const engine = new Engine();
const running = new Map<number, AbortController>();
let queue: Promise<void> = Promise.resolve();

port.on('message', (message: WorkerRequest) => {
  if (message.op === 'abort') {
    running.get(message.id)?.abort();
    return;
  }
  const controller = new AbortController();
  running.set(message.id, controller);
  queue = queue
    .then(() => handle(message, controller.signal))
    .finally(() => running.delete(message.id));
});

async function handle(
  message: Exclude<WorkerRequest, { op: 'abort' }>,
  signal: AbortSignal,
): Promise<void> {
  const reply = (value: WorkerReply, transfer: ArrayBuffer[] = []): void =>
    port!.postMessage(value, transfer);
  try {
    switch (message.op) {
      case 'load':
        return reply({ id: message.id, kind: 'done', value: await engine.load(message.options) });
      case 'img2img': {
        const result: Img2ImgResult = await engine.img2img(message.request, {
          signal,
          onProgress: (progress) => reply({ id: message.id, kind: 'progress', progress }),
        });
        return reply({ id: message.id, kind: 'done', value: result }, [
          result.image.buffer as ArrayBuffer,
          result.latents.buffer as ArrayBuffer,
        ]);
      }
      case 'stats':
        return reply({ id: message.id, kind: 'done', value: await engine.stats() });
      case 'close':
        await engine.close();
        return reply({ id: message.id, kind: 'done', value: undefined });
    }
  } catch (error) {
    reply({ id: message.id, kind: 'error', error: serialize(error) });
  }
}

function serialize(error: unknown): SerializedError {
  if (isEngineError(error)) {
    return {
      code: error.code,
      message: error.message,
      ...(error.file ? { file: error.file } : {}),
    };
  }
  return { message: error instanceof Error ? error.message : String(error) };
}
