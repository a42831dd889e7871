import type { Worker } from 'node:worker_threads';
import type { FaceDetector } from '../intake/face-types.ts';
import type { Moderator } from '../moderation/classifier.ts';
import type { NsfwModelName } from '../moderation/policy.ts';
import type { RequestBody } from '../threads/request-body.ts';
import { startWorker } from '../threads/start-worker.ts';
import type { VisionReply, VisionRequest } from './vision-protocol.ts';

/** The face detector and the NSFW classifier a run and the intake use, answered by one thread. */
export interface Vision {
  readonly faces: FaceDetector;
  readonly moderator: Moderator;
}

/** A started thread; one that stopped or failed to load is replaced at the next load. */
interface Thread {
  readonly worker: Worker;
  readonly vision: Promise<Vision>;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

let current: Thread | undefined;
let nextId = 0;

/**
 * The vision thread (main/vision/vision-worker.ts), started once per process with its models
 * loaded. tfjs's kernels run synchronously: on the thread that serves the page, a run's content
 * checks and likeness scores held every request for up to 2 s at a time.
 */
export function loadVision(): Promise<Vision> {
  current ??= startThread();
  return current.vision;
}

function startThread(): Thread {
  const worker = startWorker(new URL('./vision-worker.js', import.meta.url));
  const pending = new Map<number, Pending>();
  const call = (body: RequestBody<VisionRequest>): Promise<unknown> => {
    const id = nextId++;
    // An answer owed keeps the process alive; an idle thread does not (CLIs and tests exit).
    worker.ref();
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ ...body, id } as VisionRequest);
    });
  };
  worker.unref();
  worker.on('message', (reply: VisionReply) => {
    const waiting = pending.get(reply.id);
    pending.delete(reply.id);
    if (pending.size === 0) worker.unref();
    if ('error' in reply) waiting?.reject(new Error(reply.error));
    else waiting?.resolve(reply.value);
  });
  const retire = (): void => {
    if (current?.worker === worker) current = undefined;
  };
  const stopped = (error: Error): void => {
    retire();
    for (const waiting of pending.values()) waiting.reject(error);
    pending.clear();
  };
  worker.on('error', (error) =>
    stopped(new Error(`the face and content checks stopped: ${error.message}`)),
  );
  worker.on('exit', (code) =>
    stopped(new Error(`the face and content checks stopped (exit code ${code})`)),
  );

  const vision = (call({ op: 'load' }) as Promise<NsfwModelName>).then(
    (model): Vision => ({
      faces: {
        detect: (image) => call({ op: 'detect', image }) as ReturnType<FaceDetector['detect']>,
        locate: (image, expected) =>
          call({ op: 'locate', image, expected }) as ReturnType<FaceDetector['locate']>,
        describe: (image, face) =>
          call({ op: 'describe', image, face }) as ReturnType<FaceDetector['describe']>,
      },
      moderator: {
        model,
        classify: (image) =>
          call({
            op: 'classify',
            image: Buffer.isBuffer(image) ? { encoded: image } : image,
          }) as ReturnType<Moderator['classify']>,
      },
    }),
    (error: unknown) => {
      retire();
      void worker.terminate();
      throw error;
    },
  );
  return { worker, vision };
}
