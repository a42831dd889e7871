import { parentPort } from 'node:worker_threads';
import { loadFaceDetector } from '../intake/faces.ts';
import { loadModerator } from '../moderation/classifier.ts';
import type { VisionReply, VisionRequest } from './vision-protocol.ts';

/**
 * The vision thread: face detection, face descriptors and the NSFW classifier, all tfjs on
 * WebAssembly, whose kernels run synchronously (a photo's two detector passes hold a thread for
 * ~1 s). Here they hold this thread, never the one that answers the page.
 */
const port = parentPort;
if (!port) throw new Error('main/vision/vision-worker.ts must run as a worker thread');

const models = Promise.all([loadFaceDetector(), loadModerator()]);

port.on('message', (message: VisionRequest) => {
  void answer(message).then(
    (value) => port.postMessage({ id: message.id, value } satisfies VisionReply),
    (error: unknown) =>
      port.postMessage({
        id: message.id,
        error: error instanceof Error ? error.message : String(error),
      } satisfies VisionReply),
  );
});

async function answer(message: VisionRequest): Promise<unknown> {
  const [faces, moderator] = await models;
  switch (message.op) {
    case 'load':
      return moderator.model;
    case 'detect':
      return faces.detect(message.image);
    case 'locate':
      return faces.locate(message.image, message.expected);
    case 'describe':
      return faces.describe(message.image, message.face);
    case 'classify': {
      const { image } = message;
      // A Buffer arrives as a plain Uint8Array; the classifier tells files from pixels by Buffer.
      return moderator.classify(
        'encoded' in image
          ? Buffer.from(image.encoded.buffer, image.encoded.byteOffset, image.encoded.byteLength)
          : image,
      );
    }
  }
}
