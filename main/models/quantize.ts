/**
 * `models quantize ID`: an int8 copy of an installed fp32 or fp16 model (text encoder and UNet
 * dynamically quantized, an fp16 model's other graphs upcast to fp32, everything else shared by
 * hard link), measured against the original on the same seeded inputs and installed as a model
 * of its own, <id>-int8.
 */
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadModel, type SdModel } from '../engine/model.ts';
import { SeededNoise } from '../engine/random.ts';
import { ModelError } from './errors.ts';
import { listModelFiles, sha256File, type ModelManifest, type QuantizeReport } from './manifest.ts';
import { onnx, readOnnx } from './onnx-model.ts';
import { quantizeModel as quantizeGraph } from './quantize-graph.ts';
import { upcastOnnxFile } from './upcast-fp16.ts';
import {
  commitStaging,
  createStaging,
  getInstalled,
  isInstalled,
  linkOrCopy,
  type InstalledModel,
} from './registry.ts';

/** The components quantize_dynamic pays off on: weight-heavy MatMuls and Convs. */
const QUANTIZED_COMPONENTS = ['text_encoder/model.onnx', 'unet/model.onnx'];
/** protobuf's hard limit for one .onnx file. */
const MAX_ONNX_BYTES = 2 ** 31 - 1;
/** Inside the staging folder: fp32 twins of fp16 components, removed once quantized. */
const UPCAST_DIR = '.fp32';

export interface QuantizeOptions {
  dataDir: string;
  id: string;
  /** Latent side of the UNet comparison: 64 is a 512×512 image. */
  latentSize?: number;
  /** Timed calls per model; the median is reported. */
  runs?: number;
  intraOpThreads?: number;
  signal?: AbortSignal;
}

export function int8Id(id: string): string {
  return `${id.slice(0, 59)}-int8`;
}

export async function quantizeInstalled(
  options: QuantizeOptions,
): Promise<{ model: InstalledModel; report: QuantizeReport }> {
  const { dataDir } = options;
  const original = await getInstalled(dataDir, options.id);
  const { manifest } = original;
  if (manifest.precision === 'int8') {
    throw new ModelError(
      'QUANTIZE_UNSUPPORTED',
      `"${manifest.id}" is already int8; int8 copies are made from fp32 and fp16 models`,
      manifest.id,
    );
  }
  const id = int8Id(manifest.id);
  if (await isInstalled(dataDir, id)) {
    throw new ModelError(
      'ALREADY_INSTALLED',
      `"${id}" already exists (remove it to quantize again)`,
      id,
    );
  }

  const staging = await createStaging(dataDir);
  try {
    // fp16 components are upcast first: weights to quantize, and the rest (the autoencoders)
    // because the CPU provider runs fp32 faster than fp16 (see upcast-fp16.ts).
    const upcast = manifest.precision === 'fp16';
    const rewritten: string[] = [];
    for (const file of manifest.files.filter((f) => f.path.endsWith('.onnx'))) {
      options.signal?.throwIfAborted();
      const from = path.join(original.dir, ...file.path.split('/'));
      const to = path.join(staging, ...file.path.split('/'));
      if (QUANTIZED_COMPONENTS.includes(file.path)) {
        const scratch = upcast ? path.join(staging, UPCAST_DIR, file.path) : undefined;
        await quantizeFile(from, to, scratch, file.path);
        rewritten.push(file.path);
      } else if (upcast) {
        await mkdir(path.dirname(to), { recursive: true });
        if (await upcastOnnxFile(from, to, file.path, 'QUANTIZE_UNSUPPORTED'))
          rewritten.push(file.path);
      }
    }
    await rm(path.join(staging, UPCAST_DIR), { recursive: true, force: true });
    for (const file of manifest.files) {
      options.signal?.throwIfAborted();
      if (rewritten.includes(file.path) || isExternalDataOf(file.path, rewritten)) continue;
      await linkOrCopy(
        path.join(original.dir, ...file.path.split('/')),
        path.join(staging, ...file.path.split('/')),
      );
    }
    const files: ModelManifest['files'] = [];
    for (const relative of await listModelFiles(staging)) {
      const full = path.join(staging, ...relative.split('/'));
      files.push({ path: relative, size: (await stat(full)).size, sha256: await sha256File(full) });
    }

    const report = await compare(manifest, original.dir, staging, options);
    const copy: ModelManifest = {
      formatVersion: 1,
      id,
      name: `${manifest.name} (int8)`,
      family: manifest.family,
      precision: 'int8',
      source: 'quantized',
      origin: manifest.id,
      quantizedFrom: manifest.id,
      quantization: report,
      ...(manifest.license ? { license: manifest.license } : {}),
      ...(manifest.provenance ? { provenance: manifest.provenance } : {}),
      ...(manifest.recommended ? { recommended: manifest.recommended } : {}),
      bytes: files.reduce((n, f) => n + f.size, 0),
      installedAt: new Date().toISOString(),
      files,
    };
    return { model: await commitStaging(dataDir, staging, copy), report };
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    if ((error as Error).name === 'AbortError')
      throw new ModelError('ABORTED', 'quantization cancelled', options.id);
    throw error;
  }
}

/**
 * One quantized component, written inline to `to` (a quarter of the fp32 size fits in one file).
 * An fp16 one is upcast to `scratch` first, so quantize-graph reads fp32 weights one at a time.
 */
async function quantizeFile(
  from: string,
  to: string,
  scratch: string | undefined,
  displayName: string,
): Promise<void> {
  let source = from;
  if (scratch) {
    await mkdir(path.dirname(scratch), { recursive: true });
    const upcast = await upcastOnnxFile(from, scratch, displayName, 'QUANTIZE_UNSUPPORTED', {
      externalData: 'always',
    });
    if (upcast) source = scratch;
  }
  const graph = await readOnnx(source, displayName);
  await quantizeGraph(graph, path.dirname(source), displayName);
  const bytes = onnx.ModelProto.encode(graph).finish();
  if (bytes.length > MAX_ONNX_BYTES) {
    throw new ModelError(
      'QUANTIZE_UNSUPPORTED',
      `${displayName} is still over 2 GB once quantized`,
      displayName,
    );
  }
  await mkdir(path.dirname(to), { recursive: true });
  await writeFile(to, bytes);
}

/** A rewritten component's external weights (unet/weights.pb, unet/model.onnx_data) stay behind. */
function isExternalDataOf(file: string, rewritten: readonly string[]): boolean {
  const folder = path.posix.dirname(file);
  return (
    !file.endsWith('.json') &&
    !file.endsWith('.onnx') &&
    rewritten.some((c) => path.posix.dirname(c) === folder)
  );
}

/** What one model does with the shared inputs, and how long it takes. */
interface Measured {
  text: Float32Array;
  unet: Float32Array;
  textMs: number;
  unetMs: number;
}

/**
 * Runs the text encoder and the UNet of both copies, one model loaded at a time (two SD UNets at
 * once would need ~9 GB). The int8 UNet gets the original's text embeddings, so its error is its
 * own.
 */
async function compare(
  original: ModelManifest,
  originalDir: string,
  int8Dir: string,
  options: QuantizeOptions,
): Promise<QuantizeReport> {
  const latentSize = options.latentSize ?? 64;
  const runs = options.runs ?? 3;
  const reference = await measure(originalDir, options, latentSize, runs);
  const quantized = await measure(int8Dir, options, latentSize, runs, reference.text);
  return {
    textEncoderError: relativeL2(reference.text, quantized.text),
    unetError: relativeL2(reference.unet, quantized.unet),
    textEncoderMs: { fp32: reference.textMs, int8: quantized.textMs },
    unetMs: { fp32: reference.unetMs, int8: quantized.unetMs },
    speedup: reference.unetMs / quantized.unetMs,
    ...(original.precision === 'fp16' ? { reference: 'fp16' as const } : {}),
    latentSize,
    runs,
  };
}

const PROMPT = 'a portrait photo of a person, studio light';
const SEED = 42;
const TIMESTEP = 500;

async function measure(
  dir: string,
  options: QuantizeOptions,
  latentSize: number,
  runs: number,
  textForUnet?: Float32Array,
): Promise<Measured> {
  const model = await loadModel({
    dir,
    provider: 'cpu',
    ...(options.intraOpThreads ? { intraOpThreads: options.intraOpThreads } : {}),
  });
  try {
    const textRun = await timed(
      runs,
      options.signal,
      async () => (await model.textEncoder.encode([PROMPT]))[0]!,
    );
    const unetRun = await timed(runs, options.signal, () =>
      predict(model, textForUnet ?? textRun.value, latentSize),
    );
    return { text: textRun.value, unet: unetRun.value, textMs: textRun.ms, unetMs: unetRun.ms };
  } finally {
    await model.release();
  }
}

function predict(model: SdModel, text: Float32Array, latentSize: number): Promise<Float32Array> {
  const noise = new SeededNoise(SEED);
  const sequenceLength = model.tokenizer.maxLength;
  const condDim = model.unet.timestepCondDim;
  return model.unet.predict({
    sample: noise.normal(4 * latentSize * latentSize),
    batch: 1,
    height: latentSize,
    width: latentSize,
    timestep: TIMESTEP,
    encoderHiddenStates: text,
    sequenceLength,
    ...(condDim !== undefined ? { timestepCond: noise.normal(condDim) } : {}),
  });
}

/** One untimed warm-up call (first-run allocations), then the median of `runs` calls. */
async function timed<T>(
  runs: number,
  signal: AbortSignal | undefined,
  run: () => Promise<T>,
): Promise<{ value: T; ms: number }> {
  const value = await run();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    signal?.throwIfAborted();
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { value, ms: times[Math.floor(times.length / 2)]! };
}

/** ‖a − b‖ / ‖a‖, the usual yardstick for quantization error. */
export function relativeL2(reference: Float32Array, other: Float32Array): number {
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < reference.length; i++) {
    const d = reference[i]! - other[i]!;
    diff += d * d;
    norm += reference[i]! * reference[i]!;
  }
  return Math.sqrt(diff / (norm || 1));
}
