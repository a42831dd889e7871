import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DataType, onnx, type GraphProto } from '../../models/onnx-model.ts';

/**
 * Moves every float initializer (fp32 or fp16) of `dir`/model.onnx into one external file, as
 * exporters do past 2 GB.
 */
export async function externalize(dir: string, dataFile: string): Promise<void> {
  const model = onnx.ModelProto.decode(await readFile(path.join(dir, 'model.onnx')));
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const tensor of (model.graph as GraphProto).initializer) {
    const raw = tensor.rawData ?? new Uint8Array(0);
    const isFloat = tensor.dataType === DataType.FLOAT || tensor.dataType === DataType.FLOAT16;
    // Exporters keep small tensors (shapes, scalars) inline: ORT needs those to infer shapes.
    if (!isFloat || raw.length < 1024) continue;
    tensor.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
    tensor.externalData = [
      { key: 'location', value: dataFile },
      { key: 'offset', value: String(offset) },
      { key: 'length', value: String(raw.length) },
    ];
    tensor.rawData = new Uint8Array(0);
    chunks.push(raw);
    offset += raw.length;
  }
  await writeFile(path.join(dir, dataFile), Buffer.concat(chunks));
  await writeFile(path.join(dir, 'model.onnx'), onnx.ModelProto.encode(model).finish());
}
