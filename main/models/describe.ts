/** What an installed model's weights are, for the list: the UNet decides (most of the model). */
import path from 'node:path';
import type { Precision } from './manifest.ts';
import { precisionOf, readOnnx } from './onnx-model.ts';

export async function precisionOfFolder(dir: string): Promise<Precision> {
  return precisionOf(await readOnnx(path.join(dir, 'unet', 'model.onnx'), 'unet/model.onnx'));
}
