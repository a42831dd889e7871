/** LoRA files and model targets for tests. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { hashSeed, Rng } from '../graphs/onnx-graph.ts';
import { REFERENCE_DIR } from './graphs/reference.ts';
import { SafetensorsFile } from '../weights/safetensors.ts';
import { writeSafetensors } from './weights.ts';
import { LoraError, type LoraErrorCode } from '../lora/errors.ts';
import type { LoraTarget, LoraTensor } from '../lora/types.ts';

interface TestContext {
  after(fn: () => void): void;
}

export type TinyModel = 'sd1-tiny' | 'sd2-tiny';

export const referenceLora = (model: TinyModel) =>
  path.join(REFERENCE_DIR, model, 'lora-kohya.safetensors');

/**
 * The branches a graph built from a reference model's diffusers weights could declare: every 2-D
 * weight a linear layer, every 4-D one a convolution, the text encoder's without `text_model.`.
 */
export function referenceTargets(model: TinyModel): LoraTarget[] {
  const folder = path.join(REFERENCE_DIR, model, 'diffusers');
  const files = [
    ['unet', 'unet/diffusion_pytorch_model.safetensors'],
    ['text_encoder', 'text_encoder/model.safetensors'],
  ] as const;
  return files.flatMap(([component, file]) => {
    const st = SafetensorsFile.open(path.join(folder, file));
    try {
      return st.list().flatMap(({ name, shape }): LoraTarget[] => {
        const module = name.replace(/^text_model\./, '').replace(/\.weight$/, '');
        if (!name.endsWith('.weight') || (shape.length !== 2 && shape.length !== 4)) return [];
        const [outFeatures, inFeatures, kernel] = shape as [number, number, number?];
        const kind = shape.length === 2 ? 'linear' : 'conv';
        return [{ component, module, kind, inFeatures, outFeatures, kernel: kernel ?? 1 }];
      });
    } finally {
      st.close();
    }
  });
}

/** A tensor for writeLora: its name and dims, and its values (seeded ones by default). */
export type TestTensor = readonly [
  name: string,
  dims: readonly number[],
  values?: readonly number[],
];

/**
 * A LoRA file of F32 tensors named `fileName`, removed when the test ends. Unset values are drawn
 * from `seed` and the tensor's name: two files of one seed hold the same numbers for a name.
 */
export function writeLora(
  t: TestContext,
  tensors: readonly TestTensor[],
  options: { metadata?: Record<string, string>; fileName?: string; seed?: number } = {},
): string {
  const header: Record<string, unknown> = {};
  if (options.metadata) header['__metadata__'] = options.metadata;
  const data: Buffer[] = [];
  let offset = 0;
  for (const [name, dims, values] of tensors) {
    const count = dims.reduce((n, d) => n * d, 1);
    const floats = values
      ? new Float32Array(values)
      : new Rng(hashSeed(options.seed ?? 0, name)).fillUniform(new Float32Array(count), 0.5);
    header[name] = { dtype: 'F32', shape: dims, data_offsets: [offset, offset + 4 * count] };
    data.push(Buffer.from(floats.buffer));
    offset += 4 * count;
  }
  return named(writeSafetensors(t, header, Buffer.concat(data)), options.fileName);
}

/** A copy of a safetensors file with `metadata` as its `__metadata__`, as a trainer tags it. */
export function withMetadata(
  t: TestContext,
  file: string,
  metadata: Record<string, string>,
  fileName?: string,
): string {
  const bytes = fs.readFileSync(file);
  const length = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + length).toString('utf8'));
  header['__metadata__'] = metadata;
  return named(writeSafetensors(t, header, bytes.subarray(8 + length)), fileName);
}

function named(file: string, fileName: string | undefined): string {
  if (fileName === undefined) return file;
  const renamed = path.join(path.dirname(file), fileName);
  fs.renameSync(file, renamed);
  return renamed;
}

/** up · down in float64, [out, in·k·k]: the weight a branch adds, as a merge would add it. */
export function branchWeight(up: LoraTensor, down: LoraTensor): Float64Array {
  const [out, rank] = up.dims as [number, number];
  const width = down.data.length / rank;
  const weight = new Float64Array(out * width);
  for (let o = 0; o < out; o++) {
    for (let r = 0; r < rank; r++) {
      const u = up.data[o * rank + r]!;
      for (let i = 0; i < width; i++) weight[o * width + i]! += u * down.data[r * width + i]!;
    }
  }
  return weight;
}

/** An assert.throws check: a LoraError of `code` whose message is `message` or matches it. */
export function loraRefusal(code: LoraErrorCode, message: RegExp | string) {
  return (error: unknown): true => {
    assert.ok(error instanceof LoraError, String(error));
    assert.equal(error.code, code);
    if (typeof message === 'string') assert.equal(error.message, message);
    else assert.match(error.message, message);
    return true;
  };
}
