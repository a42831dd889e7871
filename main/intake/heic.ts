/**
 * HEIC photos (HEIF holding HEVC, the iPhone default). sharp's prebuilt libvips reads their
 * header but has no HEVC decoder, so the pixels come from libheif in WebAssembly (heic-decode),
 * on this machine like everything else. Its decode is synchronous (~0.5-0.9 s for 12 MP), so it
 * runs in a worker thread: the host keeps answering while a photo decodes.
 *
 * libheif applies the file's rotation and mirroring (irot, imir) itself, and its sizes are the
 * upright image's; EXIF orientation, which HEIF leaves to those boxes, is not applied again.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

export interface HeicImage {
  /** The size libheif declares, read before anything is decoded. */
  readonly width: number;
  readonly height: number;
  /** RGBA, rows top to bottom; null when width × height is over the limit (nothing decoded). */
  readonly data: Buffer | null;
}

/** The major brands heic-decode takes; other HEIF files (heim, heis...) are handed over as mif1. */
const DECODER_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'mif1', 'msf1']);
/** A warm decoder is stopped after this long unused, giving back its WebAssembly memory. */
const IDLE_MS = 15_000;

// Plain CommonJS evaluated in the worker: nothing to compile or bundle, from sources or a build.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
console.log = () => {}; // libheif-js logs every failure; the reply carries it instead
const decode = require(workerData);
parentPort.on('message', async ({ id, bytes, page, maxPixels }) => {
  let images;
  try {
    images = await decode.all({ buffer: bytes });
    const image = images[page];
    if (!image) throw new Error('no image ' + page + ' in the file');
    const { width, height } = image;
    if (width * height > maxPixels) return parentPort.postMessage({ id, width, height, data: null });
    const { data } = await image.decode();
    parentPort.postMessage({ id, width, height, data }, [data.buffer]);
  } catch (error) {
    parentPort.postMessage({ id, error: String((error && error.message) || error) });
    if (error instanceof WebAssembly.RuntimeError) process.exit(1); // an aborted module is not reused
  } finally {
    if (images) images.dispose();
  }
});
`;

type Reply =
  | { id: number; width: number; height: number; data: Uint8ClampedArray | null }
  | { id: number; error: string };

interface Pending {
  resolve: (image: HeicImage) => void;
  reject: (error: Error) => void;
}

/** One worker and the decodes it owes; a stopped one is replaced on the next photo. */
interface Decoder {
  readonly worker: Worker;
  readonly pending: Map<number, Pending>;
  idle?: NodeJS.Timeout;
}

let current: Decoder | undefined;
let nextId = 0;

/**
 * Decodes top-level image `page` (sharp's `pagePrimary`) of a HEIC file, unless libheif declares
 * it larger than `maxPixels`. Rejects when the file cannot be decoded.
 */
export function decodeHeic(bytes: Buffer, page: number, maxPixels: number): Promise<HeicImage> {
  const brand = bytes.subarray(8, 12).toString('latin1');
  const input = DECODER_BRANDS.has(brand) ? bytes : Buffer.from(bytes).fill('mif1', 8, 12);
  const decoder = warmDecoder();
  clearTimeout(decoder.idle);
  decoder.worker.ref(); // a decode under way keeps the process alive; an idle decoder does not
  const id = nextId++;
  return new Promise((resolve, reject) => {
    decoder.pending.set(id, { resolve, reject });
    decoder.worker.postMessage({ id, bytes: input, page, maxPixels });
  });
}

function warmDecoder(): Decoder {
  if (current) return current;
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: createRequire(import.meta.url).resolve('heic-decode'),
  });
  const decoder: Decoder = { worker, pending: new Map() };
  const retire = () => {
    if (current === decoder) current = undefined;
  };
  worker.on('message', (reply: Reply) => {
    const waiting = decoder.pending.get(reply.id);
    decoder.pending.delete(reply.id);
    if (decoder.pending.size === 0) {
      worker.unref();
      decoder.idle = setTimeout(() => {
        retire();
        void worker.terminate();
      }, IDLE_MS).unref();
    }
    if ('error' in reply) waiting?.reject(new Error(`HEIC decoding failed: ${reply.error}`));
    else {
      const { width, height, data } = reply;
      const pixels = data && Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      waiting?.resolve({ width, height, data: pixels });
    }
  });
  const stopped = (error: Error) => {
    retire();
    for (const waiting of decoder.pending.values()) waiting.reject(error);
    decoder.pending.clear();
  };
  worker.on('error', stopped);
  worker.on('exit', (code) => stopped(new Error(`the HEIC decoder stopped (exit code ${code})`)));
  return (current = decoder);
}
