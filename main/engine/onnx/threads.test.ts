import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { test } from 'node:test';
import { defaultIntraOpThreads, physicalCores } from './threads.ts';

const processor = (n: number, socket: number, core: number): string =>
  `processor\t: ${n}\nvendor_id\t: AuthenticAMD\nphysical id\t: ${socket}\ncore id\t\t: ${core}\n`;

test('counts physical cores, not hyper-threads', () => {
  // 4 logical CPUs: two cores with two threads each.
  const smt = [processor(0, 0, 0), processor(1, 0, 1), processor(2, 0, 0), processor(3, 0, 1)];
  assert.equal(physicalCores(smt.join('\n')), 2);
});

test('cores of different sockets are different cores', () => {
  assert.equal(physicalCores([processor(0, 0, 0), processor(1, 1, 0)].join('\n')), 2);
});

test('a cpuinfo without topology (ARM boards, some VMs) says nothing', () => {
  assert.equal(physicalCores('processor\t: 0\nBogoMIPS\t: 48.00\n\nprocessor\t: 1\n'), 0);
});

test('the default is at least one thread and never more than the CPUs this process may use', () => {
  const threads = defaultIntraOpThreads();
  assert.ok(threads >= 1 && threads <= availableParallelism(), `${threads}`);
});
