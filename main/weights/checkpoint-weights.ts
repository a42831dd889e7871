/**
 * One component of a single-file checkpoint as a WeightSource answering diffusers names, so graph
 * builders read a checkpoint exactly as they read a diffusers folder.
 */
import { mapCheckpoint, type CheckpointComponent } from './checkpoint-keys.ts';
import { SafetensorsError, type SafetensorsFile } from './safetensors.ts';
import { fitsShape, type WeightSource } from './weight-source.ts';

/**
 * The `component` of checkpoint `file` under diffusers names (text encoder: transformers' CLIP
 * names without `text_model.`). Refuses a file it cannot map (see mapCheckpoint) at once.
 */
export function checkpointWeights(
  file: SafetensorsFile,
  component: CheckpointComponent,
): WeightSource {
  const names = mapCheckpoint(file).components[component];
  return {
    has: (name) => names.has(name),
    tensor(name, shape) {
      const entry = names.get(name);
      if (!entry) throw new SafetensorsError(file.file, `holds no ${component} tensor "${name}"`);
      const stored = file.info(entry.key).shape;
      const part = entry.third === undefined ? stored : [stored[0]! / 3, ...stored.slice(1)];
      if (!fitsShape(part, shape)) {
        const what = entry.third === undefined ? '' : ` (a third of [${stored.join(', ')}])`;
        throw new SafetensorsError(
          file.file,
          `tensor "${entry.key}", the ${component}'s "${name}", is [${part.join(', ')}]${what}, the model needs [${shape.join(', ')}]`,
        );
      }
      const data = file.readFloat32(entry.key);
      if (entry.third === undefined) return data;
      const size = data.length / 3;
      return data.slice(entry.third * size, (entry.third + 1) * size);
    },
  };
}
