/**
 * Part 9, where a UNet call's time goes, op by op: every way this build can run the UNet's two
 * heavy ops on onnxruntime's CPU provider, as one-layer graphs at SD-Turbo's own widths and 512 px
 * latent sizes, timed in one run on the same input, each against float, with the error it adds
 * against float. Then whole UNet calls of one SD-Turbo-shaped model: fp32 as built, int8 as
 * `models quantize` makes it from that fp32 graph (quantize_dynamic's pattern: ConvInteger), and
 * int8 as the builder makes it (convs over patches through MatMulInteger).
 *
 * The alternatives the product does not ship (ConvInteger, static QLinearConv, unfused attention)
 * are written here, beside the product's own layers, so the table says why the builder does what
 * it does.
 */
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultIntraOpThreads } from '../../main/engine/onnx/threads.ts';
import { FullBlocks } from '../../main/graphs/full-blocks.ts';
import { GraphBuilder, type Value } from '../../main/graphs/onnx-graph.ts';
import { int8Weights, type Int8Weights } from '../../main/models/int8-kernel.ts';
import { LORA_INPUT_PREFIX } from '../../main/lora/types.ts';
import { onnx } from '../../main/models/onnx-model.ts';
import { quantizeModel } from '../../main/models/quantize-graph.ts';
import { relativeL2 } from '../../main/models/quantize.ts';
import { fullSizeModel } from '../fixtures/full-size.ts';
import type { Row } from './report.ts';
import { summarize, timeMs, type Summary } from './stats.ts';

export interface UnetOpsOptions {
  reps: number;
  progress: (message: string) => void;
}

/** One way to run an op: its one-layer graph, given the float graph it must agree with. */
interface Variant {
  label: string;
  graph: (float: Uint8Array, feeds: Record<string, Tensor>) => Promise<Uint8Array>;
}

interface Measured {
  label: string;
  time: Summary;
  /** Median time over the first variant's (the float op's). */
  ratio: number;
  /** Relative L2 of its output against the first variant's. */
  error: number;
}

export interface OpCase {
  what: string;
  variants: Measured[];
}

export interface UnetOpsResult {
  ops: OpCase[];
  calls: OpCase;
}

/** SD-Turbo's UNet at 512 px: a level's width and its latent side (64 / 2^level). */
const LEVELS = [
  { channels: 320, side: 64 },
  { channels: 640, side: 32 },
  { channels: 1280, side: 16 },
  { channels: 1280, side: 8 },
];
/** OpenCLIP ViT-H's width, SD 2.x's context, and its 64-wide heads. */
const CONTEXT = { tokens: 77, width: 1024 };
const HEAD_WIDTH = 64;
const SEED = 9;

export async function measureUnetOps(options: UnetOpsOptions): Promise<UnetOpsResult> {
  const { progress } = options;
  const reps = Math.max(options.reps, 3);
  const int8 = await int8Weights();
  const ops: OpCase[] = [];
  for (const { channels, side } of LEVELS) {
    progress(`  3x3 conv, ${channels} channels at ${side}x${side}`);
    ops.push(await measureCase(convCase(channels, side, int8), reps));
  }
  for (const { channels, side } of LEVELS.slice(0, 3)) {
    progress(`  self-attention, ${side * side} tokens of ${channels}`);
    ops.push(await measureCase(attentionCase(channels, side, null), reps));
    progress(`  cross-attention, ${side * side} tokens over the text`);
    ops.push(await measureCase(attentionCase(channels, side, CONTEXT), reps));
  }
  progress('  whole UNet calls (builds the fp32 model on first use: minutes)');
  const calls = await measureUnetCalls(reps);
  return { ops, calls };
}

interface Case {
  what: string;
  shape: number[];
  /** The float graph every variant is timed and checked against. */
  float: (g: GraphBuilder, x: Value) => Value;
  variants: Variant[];
}

/** A variant built by the product's own layers from the same seeded weights. */
function built(
  label: string,
  layer: (g: GraphBuilder, x: Value) => Value,
  shape: number[],
): Variant {
  return { label, graph: async () => oneLayer(layer, shape) };
}

function oneLayer(layer: (g: GraphBuilder, x: Value) => Value, shape: number[]): Uint8Array {
  const g = new GraphBuilder('op', SEED);
  const y = layer(g, g.input('x', 'float32', shape));
  g.output(y, 'y', 'float32', ['n', 'c', 'h', 'w'].slice(0, shape.length));
  return g.encode();
}

function convCase(channels: number, side: number, int8: Int8Weights): Case {
  const shape = [1, channels, side, side];
  const conv = (quantized?: Int8Weights) => (g: GraphBuilder, x: Value) =>
    new FullBlocks(g, quantized).conv2d(x, 'conv', channels, channels);
  return {
    what: `3x3 conv ${channels}->${channels} at ${side}x${side}: fp32 Conv`,
    shape,
    float: conv(),
    variants: [
      { label: 'int8 ConvInteger (models quantize)', graph: (float) => quantized(float) },
      {
        label: 'int8 static QLinearConv (calibrated on this input)',
        graph: (float, feeds) => staticQLinearConv(float, channels, feeds),
      },
      built('int8 patches + MatMulInteger (built)', conv(int8), shape),
    ],
  };
}

function attentionCase(channels: number, side: number, context: typeof CONTEXT | null): Case {
  const heads = channels / HEAD_WIDTH;
  const shape = [1, side * side, channels];
  const o = { channels, heads, qkvBias: false, contextDim: context?.width };
  const source = (g: GraphBuilder): Value | null =>
    context ? g.input('context', 'float32', [1, context.tokens, context.width]) : null;
  return {
    what: `${context ? 'cross' : 'self'}-attention, ${side * side} tokens of ${channels}${context ? ` over ${context.tokens}` : ''}, ${heads} heads: fp32`,
    shape,
    float: (g, x) => unfusedAttention(new FullBlocks(g), x, source(g), o),
    variants: [
      built(
        'fp32 MultiHeadAttention (built)',
        (g, x) => new FullBlocks(g).attention(x, source(g), 'attn', o),
        shape,
      ),
    ],
  };
}

/** The attention as torch exports it (and as float16 graphs keep it): the scores written out. */
function unfusedAttention(
  nn: FullBlocks,
  x: Value,
  context: Value | null,
  o: { channels: number; heads: number; contextDim?: number },
): Value {
  const g = nn.g;
  const { channels, heads } = o;
  const headDim = channels / heads;
  const source = context ?? x;
  const sourceDim = o.contextDim ?? channels;
  const q = nn.linear(x, 'attn.to_q', channels, channels, 1, false);
  const k = nn.linear(source, 'attn.to_k', sourceDim, channels, 1, false);
  const v = nn.linear(source, 'attn.to_v', sourceDim, channels, 1, false);
  const split = (t: Value, perm: number[]): Value =>
    g.transpose(g.reshape(t, [0, -1, heads, headDim]), perm);
  const scores = g.mul(
    g.matMul(split(q, [0, 2, 1, 3]), split(k, [0, 2, 3, 1])),
    g.scalar(1 / Math.sqrt(headDim)),
  );
  const attended = g.matMul(g.softmax(scores), split(v, [0, 2, 1, 3]));
  const merged = g.reshape(g.transpose(attended, [0, 2, 1, 3]), [0, -1, channels]);
  return nn.linear(merged, 'attn.to_out.0', channels, channels);
}

async function measureCase(c: Case, reps: number): Promise<OpCase> {
  const feeds: Record<string, Tensor> = { x: randomTensor(c.shape, 1) };
  if (c.what.includes('cross')) feeds.context = randomTensor([1, CONTEXT.tokens, CONTEXT.width], 2);
  const float = oneLayer(c.float, c.shape);
  const graphs = [float, ...(await Promise.all(c.variants.map((v) => v.graph(float, feeds))))];
  const labels = ['float', ...c.variants.map((v) => v.label)];
  const sessions = await Promise.all(graphs.map((bytes) => createSession(bytes)));
  const outputs = await Promise.all(
    sessions.map(async (s) => (await s.run(feeds)).y!.data as Float32Array),
  );
  // Interleaved, so the machine's drift hits every variant alike.
  const samples: number[][] = sessions.map(() => []);
  for (let r = 0; r < reps; r++) {
    for (const [i, s] of sessions.entries()) samples[i]!.push(await timeMs(() => s.run(feeds)));
  }
  await Promise.all(sessions.map((s) => s.release()));
  return measured(c.what, labels, samples, outputs);
}

function measured(
  what: string,
  labels: string[],
  samples: number[][],
  outputs: Float32Array[],
): OpCase {
  const base = summarize(samples[0]!).median;
  return {
    what,
    variants: labels.map((label, i) => {
      const time = summarize(samples[i]!);
      return {
        label,
        time,
        ratio: time.median / base,
        error: relativeL2(outputs[0]!, outputs[i]!),
      };
    }),
  };
}

function createSession(bytes: Uint8Array | string): Promise<InferenceSession> {
  return InferenceSession.create(bytes as Uint8Array, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: defaultIntraOpThreads(),
  });
}

function randomTensor(shape: number[], seed: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  let state = seed;
  for (let i = 0; i < n; i++) {
    state = (state * 1664525 + 1013904223) >>> 0;
    data[i] = state / 2 ** 31 - 1;
  }
  return new Tensor('float32', data, shape);
}

/** `models quantize`'s rewrite of an fp32 graph: quantize_dynamic's pattern, ConvInteger for convs. */
async function quantized(bytes: Uint8Array): Promise<Uint8Array> {
  const model = onnx.ModelProto.decode(bytes);
  await quantizeModel(model, tmpdir(), 'bench graph');
  return onnx.ModelProto.encode(model).finish();
}

/**
 * The one-conv fp32 graph as static QDQ int8 would run it: QuantizeLinear with the input's range
 * and QLinearConv requantizing to the output's range, both calibrated on this very input (the
 * best case for static quantization), symmetric int8 weights per output channel.
 */
async function staticQLinearConv(
  bytes: Uint8Array,
  channels: number,
  feeds: Record<string, Tensor>,
): Promise<Uint8Array> {
  const model = onnx.ModelProto.decode(bytes);
  const initializers = model.graph?.initializer ?? [];
  const weight = initializers.find((t) => t.name === 'conv.weight')!;
  const bias = initializers.find((t) => t.name === 'conv.bias')!;
  const w = floats(weight.rawData!);
  const reference = await createSession(bytes);
  const y = (await reference.run(feeds)).y!.data as Float32Array;
  await reference.release();
  const x = feeds.x!.data as Float32Array;
  const g = new GraphBuilder('qlinear', SEED);
  const input = g.input('x', 'float32', feeds.x!.dims as number[]);
  const range = (a: Float32Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const xScale = g.constant('x_scale', 'float32', [], [range(x) / 127]);
  const yScale = g.constant('y_scale', 'float32', [], [range(y) / 127]);
  const zero = g.constant('zero', 'uint8', [], [128]);
  const perChannel = w.length / channels;
  const wScales = new Float32Array(channels);
  const wq = new Int8Array(w.length);
  for (let o = 0; o < channels; o++) {
    const row = w.subarray(o * perChannel, (o + 1) * perChannel);
    wScales[o] = range(row) / 127 || 1;
    row.forEach((v, i) => (wq[o * perChannel + i] = Math.round(v / wScales[o]!)));
  }
  const xq = g.op('QuantizeLinear', [input, xScale, zero]);
  const yq = g.op(
    'QLinearConv',
    [
      xq,
      xScale,
      zero,
      g.constant('w', 'int8', weight.dims!.map(Number), wq),
      g.constant('w_scale', 'float32', [channels], wScales),
      g.constant('w_zero', 'int8', [channels], new Array<number>(channels).fill(0)),
      yScale,
      zero,
    ],
    { pads: [1, 1, 1, 1] },
  );
  // The bias stays float after the requantized conv: its int32 form needs the input's scale.
  const out = g.add(
    g.op('DequantizeLinear', [yq, yScale, zero]),
    g.constant('b', 'float32', [channels, 1, 1], floats(bias.rawData!)),
  );
  g.output(out, 'y', 'float32', ['n', 'c', 'h', 'w']);
  return g.encode();
}

/** A copy: protobufjs's raw bytes may be a Buffer view into a shared pool, at any offset. */
function floats(raw: Uint8Array): Float32Array {
  return new Float32Array(Uint8Array.from(raw).buffer);
}

/** One SD-Turbo-shaped UNet three ways, each call on the same inputs (t = 499, 512 px). */
async function measureUnetCalls(reps: number): Promise<OpCase> {
  const fp32 = join(await fullSizeModel(), 'unet', 'model.onnx');
  const built = join(await fullSizeModel({ quantized: true }), 'unet', 'model.onnx');
  const dir = await mkdtemp(join(tmpdir(), 'bench-quantize-'));
  try {
    const model = onnx.ModelProto.decode(await readFile(fp32));
    await quantizeModel(model, join(fp32, '..'), 'fp32 UNet');
    const requantized = join(dir, 'model.onnx');
    await writeFile(requantized, onnx.ModelProto.encode(model).finish());
    // Rank 0 is how the engine runs a layer no LoRA touches: its If skips the branch. Rank 1 of
    // zeros runs every branch, as graphs built before the If were run.
    const files = [
      { label: 'fp32 (built)', file: fp32, rank: 0 },
      { label: 'int8 ConvInteger (models quantize of the fp32)', file: requantized, rank: 0 },
      { label: 'int8 patches + MatMulInteger (built)', file: built, rank: 0 },
      { label: 'int8 built, every LoRA branch run on rank-1 zeros', file: built, rank: 1 },
    ];
    // One session at a time: the fp32 UNet alone holds 3.5 GB.
    const outputs: Float32Array[] = [];
    const samples: number[][] = [];
    for (const { file, rank } of files) {
      const session = await createSession(file);
      const feeds = unetFeeds(session, rank);
      outputs.push((await session.run(feeds)).out_sample!.data as Float32Array);
      const times: number[] = [];
      for (let r = 0; r < reps; r++) times.push(await timeMs(() => session.run(feeds)));
      samples.push(times);
      await session.release();
    }
    return measured(
      'UNet call, SD-Turbo shape, 512 px, t = 499, no LoRA: fp32 (built)',
      files.map((f) => f.label),
      samples,
      outputs,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The UNet's inputs at 512 px: noise, t = 499, a text context, and LoRA branches of zeros. */
function unetFeeds(session: InferenceSession, loraRank: number): Record<string, Tensor> {
  const feeds: Record<string, Tensor> = {};
  for (const [i, name] of session.inputNames.entries()) {
    const meta = session.inputMetadata[i]!;
    if (!meta.isTensor) continue;
    if (name === 'sample') feeds[name] = randomTensor([1, 4, 64, 64], 3);
    else if (name === 'encoder_hidden_states') feeds[name] = randomTensor([1, 77, 1024], 4);
    else {
      const free = name.startsWith(LORA_INPUT_PREFIX) ? loraRank : 1;
      const shape = meta.shape.map((d) => (typeof d === 'number' ? d : free));
      const n = shape.reduce((a, b) => a * b, 1);
      // The timestep in whatever dtype the export declares, batch 1; LoRA branches as zeros.
      const fill = name === 'timestep' ? 499 : 0;
      feeds[name] =
        meta.type === 'int64'
          ? new Tensor('int64', new BigInt64Array(n).fill(BigInt(fill)), shape)
          : new Tensor('float32', new Float32Array(n).fill(fill), shape);
    }
  }
  return feeds;
}

export function unetOpsRows(result: UnetOpsResult): Row[] {
  const rows: Row[] = [];
  for (const c of [...result.ops, result.calls]) {
    for (const [i, v] of c.variants.entries()) {
      rows.push({
        part: '9 unet ops',
        what: i === 0 ? c.what : `  ${v.label}`,
        summary: v.time,
        unit: 'ms',
        ratio: i === 0 ? undefined : v.ratio,
        note: i === 0 ? '' : `relative L2 vs the first ${v.error.toExponential(1)}`,
      });
    }
  }
  return rows;
}
