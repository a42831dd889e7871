/**
 * Part 7 (issue 14), LoRA styles at no reload: the engine's share of a 30-avatar run of 5 styles
 * (avatar-run.ts) on the int8 SD-Turbo-shaped model with TAESD, each style with a LoRA of its own,
 * against the same run without LoRAs, runs alternating so drift hits both alike. The LoRAs are
 * honest-shaped: rank 32 on every attention and feed-forward linear of the full UNet, kohya keys,
 * fp16, as community files ship. The alternative design (merged weights, a session reload at each
 * style change) is priced from the model's own load time: the plan's styles take turns, so every
 * avatar changes style.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { EngineClient } from '../../main/engine/engine-client.ts';
import { float32ToFloat16Bits } from '../../main/engine/onnx/float16.ts';
import type { Img2ImgRequest } from '../../main/engine/types.ts';
import { MAX_AVATARS, planAvatars } from '../../main/jobs/plan.ts';
import { LORA_INPUT_PREFIX } from '../../main/lora/types.ts';
import { fullSizeModel } from '../fixtures/full-size.ts';
import { Rng, hashSeed } from '../../main/graphs/onnx-graph.ts';
import { avatarRunRequests, photoTensors, RUN_STYLES } from './avatar-run.ts';
import type { Row } from './report.ts';
import { summarize, timeMs, type Summary } from './stats.ts';

const RANK = 32;
/** The layers a typical kohya LoRA trains: attention projections and the GEGLU feed-forward. */
const TRAINED = /\.(attn[12]\.(to_q|to_k|to_v|to_out\.0)|ff\.net\.(0\.proj|2))$/;

export interface LoraStylesOptions {
  scale: number;
  size: number;
  reps: number;
  progress: (message: string) => void;
}

export interface LoraStylesResult {
  scale: number;
  size: number;
  /** Layers each LoRA trains, and one file's size in bytes. */
  layers: number;
  fileBytes: number;
  /** The engine's time for the 30 avatars, without and with a LoRA per style. */
  base: Summary;
  lora: Summary;
  /** Median over repetitions of each LoRA run against the base run beside it. */
  ratio: number;
  /** One model load (all sessions), what a reload per style change would pay. */
  load: Summary;
  /** Style changes in one run (each avatar's style differs from the one before). */
  switches: number;
}

export async function measureLoraStyles(options: LoraStylesOptions): Promise<LoraStylesResult> {
  const { scale, size, progress } = options;
  const reps = Math.min(options.reps, 3);
  const dir = await fullSizeModel({ scale, quantized: true });
  const work = await mkdtemp(join(tmpdir(), 'bench-lora-'));
  const engine = new EngineClient();
  try {
    const targets = await unetLinearTargets(join(dir, 'unet', 'model.onnx'));
    const trained = targets.filter((t) => TRAINED.test(t.module));
    progress(`  writing ${RUN_STYLES.length} LoRAs, rank ${RANK} on ${trained.length} UNet layers`);
    const files = await Promise.all(
      RUN_STYLES.map((style, i) => writeKohyaLora(join(work, `${style}.safetensors`), trained, i)),
    );
    const fileBytes = (await readFile(files[0]!)).byteLength;

    // A closed client is done for good: each load is a fresh worker, as a reload would be.
    const loads: number[] = [];
    for (let i = 0; i < 2; i++) {
      const fresh = new EngineClient();
      loads.push(await timeMs(() => fresh.load({ dir, provider: 'cpu' })));
      await fresh.close();
    }
    await engine.load({ dir, provider: 'cpu' });
    const photos = await photoTensors(size);
    const base: number[] = [];
    const lora: number[] = [];
    let switches = 0;
    // Repetition 0 warms the caches of both kinds of run; it is not counted.
    for (let rep = 0; rep <= reps; rep++) {
      const requests = await avatarRunRequests('turbo', photos, size, rep + 1);
      // avatarRunRequests follows the run's plan: request i is planned avatar i.
      const styles = planAvatars(RUN_STYLES, photos.length, MAX_AVATARS, 1).map((p) => p.styleId);
      const withLoras = requests.map((r, i): Img2ImgRequest => ({
        ...r,
        loras: [{ file: files[RUN_STYLES.indexOf(styles[i]!)]!, scale: 1 }],
      }));
      switches = styles.filter((style, i) => i > 0 && style !== styles[i - 1]).length;
      progress(`  repetition ${rep} of ${reps}${rep === 0 ? ' (warm-up)' : ''}: without LoRAs`);
      const b = await runAll(engine, requests);
      progress(`  repetition ${rep} of ${reps}${rep === 0 ? ' (warm-up)' : ''}: a LoRA per style`);
      const l = await runAll(engine, withLoras);
      if (rep > 0) {
        base.push(b);
        lora.push(l);
      }
    }
    return {
      scale,
      size,
      layers: trained.length,
      fileBytes,
      base: summarize(base),
      lora: summarize(lora),
      ratio: summarize(lora.map((l, i) => l / base[i]!)).median,
      load: summarize(loads),
      switches,
    };
  } finally {
    await engine.close();
    await rm(work, { recursive: true, force: true });
  }
}

export function loraStylesRows(result: LoraStylesResult): Row[] {
  const label = `int8 turbo-shaped${result.scale === 1 ? '' : ` x${result.scale}`} + TAESD, ${result.size}px`;
  const reload = result.base.median + result.switches * result.load.median;
  return [
    {
      part: '7 lora',
      what: `30 avatars, 5 styles, no LoRA (${label})`,
      summary: result.base,
      unit: 's',
    },
    {
      part: '7 lora',
      what: `the same, a rank-${RANK} LoRA per style (${result.layers} layers, ${(result.fileBytes / 1e6).toFixed(0)} MB fp16 each)`,
      summary: result.lora,
      unit: 's',
      ratio: result.ratio,
      note: 'branches fed per call; goal <= 1.10',
    },
    { part: '7 lora', what: 'one model load (every session)', summary: result.load, unit: 's' },
    {
      part: '7 lora',
      what: `merged weights instead: a reload at each of the run's ${result.switches} style changes`,
      summary: summarize([reload]),
      unit: 's',
      ratio: reload / result.base.median,
      note: 'estimate: base run + changes x load',
    },
  ];
}

async function runAll(engine: EngineClient, requests: readonly Img2ImgRequest[]): Promise<number> {
  return timeMs(async () => {
    for (const request of requests) await engine.img2img(request);
  });
}

interface LinearTarget {
  module: string;
  inFeatures: number;
  outFeatures: number;
}

/** The UNet's linear LoRA branches, from its graph's declared inputs (the weights stay on disk). */
async function unetLinearTargets(file: string): Promise<LinearTarget[]> {
  const graph = onnxProto.onnx.ModelProto.decode(await readFile(file)).graph!;
  const dims = (name: string) =>
    graph
      .input!.find((i) => i.name === name)!
      .type!.tensorType!.shape!.dim!.map((d) => Number(d.dimValue ?? 0));
  return graph
    .input!.map((i) => i.name!)
    .filter((name) => name.startsWith(LORA_INPUT_PREFIX) && name.endsWith('.down'))
    .map((name) => name.slice(LORA_INPUT_PREFIX.length, -'.down'.length))
    .filter((module) => dims(`${LORA_INPUT_PREFIX}${module}.down`).length === 2)
    .map((module) => ({
      module,
      inFeatures: dims(`${LORA_INPUT_PREFIX}${module}.down`)[1]!,
      outFeatures: dims(`${LORA_INPUT_PREFIX}${module}.up`)[0]!,
    }));
}

/**
 * A kohya LoRA over `targets` with seeded weights of a trained LoRA's scale: down ~ U(±1/√in),
 * up small, so the branch moves a layer by a few percent.
 */
async function writeKohyaLora(
  file: string,
  targets: readonly LinearTarget[],
  seed: number,
): Promise<string> {
  const header: Record<string, unknown> = { __metadata__: { ss_network_dim: String(RANK) } };
  const chunks: Buffer[] = [];
  let offset = 0;
  const add = (name: string, shape: number[], bound: number, constant?: number) => {
    const count = shape.reduce((n, d) => n * d, 1);
    const values =
      constant === undefined
        ? new Rng(hashSeed(seed, name)).fillUniform(new Float32Array(count), bound)
        : new Float32Array(count).fill(constant);
    const bytes = Buffer.from(float32ToFloat16Bits(values).buffer);
    header[name] = { dtype: 'F16', shape, data_offsets: [offset, offset + bytes.byteLength] };
    chunks.push(bytes);
    offset += bytes.byteLength;
  };
  for (const t of targets) {
    const key = `lora_unet_${t.module.replaceAll('.', '_')}`;
    add(`${key}.lora_down.weight`, [RANK, t.inFeatures], 1 / Math.sqrt(t.inFeatures));
    add(`${key}.lora_up.weight`, [t.outFeatures, RANK], 0.02);
    add(`${key}.alpha`, [], 0, RANK);
  }
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.byteLength));
  await writeFile(file, Buffer.concat([length, json, ...chunks]));
  return file;
}
