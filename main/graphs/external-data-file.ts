import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { ExternalData } from './onnx-graph.ts';

/**
 * Appends a graph's initializers to one data file as the graph is built, each at a 4 KiB-aligned
 * offset so onnxruntime can memory-map them: a full UNet's weights never sit in memory at once,
 * and the graph passes protobuf's 2 GB limit as Optimum's exports do (model.onnx_data).
 */
export function externalDataFile(
  folder: string,
  location: string,
): ExternalData & { close(): void } {
  const fd = openSync(join(folder, location), 'w');
  let length = 0;
  return {
    location,
    append(bytes) {
      const offset = Math.ceil(length / 4096) * 4096;
      if (offset > length) writeSync(fd, new Uint8Array(offset - length));
      writeSync(fd, bytes);
      length = offset + bytes.byteLength;
      return offset;
    },
    close: () => closeSync(fd),
  };
}
