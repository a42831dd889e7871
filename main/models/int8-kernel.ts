/**
 * How wide int8 weights may be on this CPU. onnxruntime's x86 u8s8 GEMM without VNNI multiplies
 * with vpmaddubsw, which adds each pair of u8 · s8 products in int16 and saturates past 32767
 * (255 · 127 · 2 = 64770): there an int8 layer lost 10% (relative error 0.10 on a 2-core EPYC,
 * 0.005 on a VNNI Xeon). quantize_dynamic's answer is reduce_range, 7-bit weights, whose pairs
 * (255 · 63 · 2 = 32130) fit. No portable Node api reads CPU flags, so the kernel itself is asked:
 * one MatMulInteger whose exact sum a saturating kernel cannot produce.
 */
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '../graphs/onnx-graph.ts';

/** The largest weight magnitude int8 layers use: 127, or 63 where the kernel saturates. */
export interface Int8Weights {
  readonly limit: 127 | 63;
}

/** Big enough for the blocked GEMM kernels a UNet's layers reach, small enough to cost ~1 ms. */
const PROBE = { m: 64, k: 64, n: 64 };

let probe: Promise<Int8Weights> | undefined;

/** The weight limit for this process's CPU, probed once. */
export function int8Weights(): Promise<Int8Weights> {
  return (probe ??= measure());
}

/** Whether this CPU's MatMulInteger sums `limit`-sized products exactly (the probe's one run). */
export async function multipliesExactly(limit: number): Promise<boolean> {
  const { m, k, n } = PROBE;
  const g = new GraphBuilder('int8-probe', 1);
  const a = g.input('a', 'uint8', [m, k]);
  const b = g.constant('b', 'int8', [k, n], new Int8Array(k * n).fill(limit));
  const zeroA = g.constant('a_zero_point', 'uint8', [], [0]);
  const zeroB = g.constant('b_zero_point', 'int8', [], [0]);
  g.output(g.op('MatMulInteger', [a, b, zeroA, zeroB]), 'y', 'int32', [m, n]);
  const session = await ort.InferenceSession.create(g.encode());
  try {
    const out = await session.run({
      a: new ort.Tensor('uint8', new Uint8Array(m * k).fill(255), [m, k]),
    });
    const exact = k * 255 * limit;
    return (out['y']!.data as Int32Array).every((v) => v === exact);
  } finally {
    await session.release();
  }
}

async function measure(): Promise<Int8Weights> {
  return { limit: (await multipliesExactly(127)) ? 127 : 63 };
}
