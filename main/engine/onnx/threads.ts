import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/**
 * onnxruntime's intra-op threads when the caller does not choose: one per physical core.
 * onnxruntime means to pick that itself, but on a 2-core Linux VM measured here it ran one
 * thread: an SD-Turbo-shaped int8 UNet call took 3.4 s by default, 3.2 s with 1 thread and 2.0 s
 * with 2 (scripts/bench, part 3). Hyper-threads share a core's arithmetic units, so they are
 * not counted where the platform says which they are.
 */
export function defaultIntraOpThreads(): number {
  if (process.platform === 'linux') {
    try {
      const cores = physicalCores(readFileSync('/proc/cpuinfo', 'utf8'));
      if (cores > 0) return Math.min(cores, availableParallelism());
    } catch {
      // /proc unreadable (a sandbox): count logical CPUs below.
    }
  }
  return availableParallelism();
}

/** Distinct (physical id, core id) pairs in /proc/cpuinfo; 0 when it does not say. */
export function physicalCores(cpuinfo: string): number {
  const cores = new Set<string>();
  for (const block of cpuinfo.split(/\n\s*\n/)) {
    const socket = /^physical id\s*:\s*(\d+)/m.exec(block)?.[1];
    const core = /^core id\s*:\s*(\d+)/m.exec(block)?.[1];
    if (socket !== undefined && core !== undefined) cores.add(`${socket}:${core}`);
  }
  return cores.size;
}
