/** Names the machine a result came from: figures from two machines are not comparable. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';

export interface Machine {
  cpu: string;
  /** Logical CPUs the process may use (what a thread-count default sees). */
  cores: number;
  memoryGiB: number;
  /** The instruction-set extensions onnxruntime's CPU kernels pick their fastest paths by. */
  simd: string[];
  os: string;
  node: string;
  onnxruntime: string;
  provider: string;
  /** 1-minute load average when the bench started: other work on the machine skews figures. */
  loadAverage: number;
}

const SIMD_FLAGS = ['avx2', 'fma', 'avx512f', 'avx512_vnni', 'avx_vnni', 'avx512_bf16', 'amx_tile'];

export function describeMachine(provider = 'cpu'): Machine {
  const require = createRequire(import.meta.url);
  const ort = require('onnxruntime-node/package.json') as { version: string };
  return {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    simd: cpuFlags().filter((f) => SIMD_FLAGS.includes(f)),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    onnxruntime: ort.version,
    provider,
    loadAverage: Number(os.loadavg()[0]!.toFixed(2)),
  };
}

export function machineLine(m: Machine): string {
  const simd = m.simd.length ? m.simd.join(' ') : 'no AVX2';
  return `${m.cpu}, ${m.cores} cores (${simd}), ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}, onnxruntime-node ${m.onnxruntime} (${m.provider}), load average ${m.loadAverage} at start`;
}

/** /proc/cpuinfo's flags on Linux; elsewhere unknown (an empty list). */
function cpuFlags(): string[] {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('flags'));
    return line ? line.split(':')[1]!.trim().split(/\s+/) : [];
  } catch {
    return [];
  }
}

/** VmHWM: the most memory this process ever held resident (Linux); maxRSS elsewhere. */
export function peakRss(): number {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (kb) return Number(kb) * 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS * 1024;
}
