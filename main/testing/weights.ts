/** Safetensors files written for tests, into temp folders removed when the test ends. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

interface TestContext {
  after(fn: () => void): void;
}

/** A safetensors file from a header (an object, or raw text) and a data section. */
export function writeSafetensors(t: TestContext, header: unknown, data: Buffer): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'safetensors-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  const file = path.join(dir, 'model.safetensors');
  fs.writeFileSync(file, Buffer.concat([length, json, data]));
  return file;
}

/** A file of F16 zero tensors with these names and shapes, in this order. */
export function writeZeroTensors(
  t: TestContext,
  tensors: Iterable<readonly [string, readonly number[]]>,
): string {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, shape] of tensors) {
    const bytes = 2 * shape.reduce((n, d) => n * d, 1);
    header[name] = { dtype: 'F16', shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  return writeSafetensors(t, header, Buffer.alloc(offset));
}
