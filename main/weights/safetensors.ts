/**
 * Reading .safetensors files: an 8-byte little-endian header length, a JSON header naming each
 * tensor's dtype, shape and byte range, then the raw tensors. No maintained npm reader handles
 * local files, and these come from strangers (community checkpoints), so every claim the header
 * makes is checked against the file before a byte of data is read: a hostile header is an error
 * naming the file and the tensor, never an out-of-bounds read or a huge allocation.
 *
 * Tensors are read one at a time at their offsets, so a 4 GB checkpoint is never held whole. Reads
 * are synchronous: graphs are built tensor by tensor in a builder that writes each one out before
 * asking for the next (main/graphs), off the UI thread.
 */
import fs from 'node:fs';
import { float16BitsToFloat32 } from '../engine/onnx/float16.ts';

/** Every dtype safetensors defines, with its size in bytes; only the float ones are read. */
const DTYPE_BYTES = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
} as const;
export type SafetensorsDtype = keyof typeof DTYPE_BYTES;

export interface TensorInfo {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  /** Byte range in the file, absolute. */
  readonly start: number;
  readonly end: number;
}

/** Far above a real header (SDXL's holds ~2,500 tensors in ~300 KB). */
const MAX_HEADER_BYTES = 64 * 2 ** 20;

export class SafetensorsError extends Error {
  override readonly name = 'SafetensorsError';
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
  }
}

export class SafetensorsFile {
  private constructor(
    readonly file: string,
    private readonly fd: number,
    private readonly tensors: ReadonlyMap<string, TensorInfo>,
    /** The header's free-form `__metadata__` (string to string). */
    readonly metadata: Readonly<Record<string, string>>,
  ) {}

  static open(file: string): SafetensorsFile {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      if (size < 8) throw new SafetensorsError(file, 'is too short to be a safetensors file');
      const lengthBytes = Buffer.alloc(8);
      readExactly(fd, lengthBytes, 0);
      const headerLength = lengthBytes.readBigUInt64LE(0);
      if (headerLength > BigInt(Math.min(MAX_HEADER_BYTES, size - 8))) {
        throw new SafetensorsError(
          file,
          `its header claims ${headerLength} bytes, more than the file holds or a header needs`,
        );
      }
      const header = Buffer.alloc(Number(headerLength));
      readExactly(fd, header, 8);
      const dataStart = 8 + header.length;
      const { tensors, metadata } = parseHeader(file, header, size - dataStart, dataStart);
      return new SafetensorsFile(file, fd, tensors, metadata);
    } catch (error) {
      fs.closeSync(fd);
      throw error;
    }
  }

  /** Every tensor, in the header's order. */
  list(): TensorInfo[] {
    return [...this.tensors.values()];
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  info(name: string): TensorInfo {
    const info = this.tensors.get(name);
    if (!info) throw new SafetensorsError(this.file, `holds no tensor "${name}"`);
    return info;
  }

  /** The raw little-endian bytes of one tensor. */
  readBytes(name: string): Buffer {
    const { start, end } = this.info(name);
    const bytes = Buffer.alloc(end - start);
    readExactly(this.fd, bytes, start);
    return bytes;
  }

  /** One float tensor (F32, F16, BF16 or F64) as float32, row-major in its shape. */
  readFloat32(name: string): Float32Array {
    const { dtype } = this.info(name);
    const bytes = this.readBytes(name);
    switch (dtype) {
      case 'F32':
        return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
      case 'F16':
        return float16BitsToFloat32(littleEndianUint16(bytes));
      case 'BF16': {
        // bfloat16 is the top half of a float32.
        const halves = littleEndianUint16(bytes);
        const bits = new Uint32Array(halves.length);
        for (let i = 0; i < bits.length; i++) bits[i] = halves[i]! << 16;
        return new Float32Array(bits.buffer);
      }
      case 'F64': {
        const out = new Float32Array(bytes.length / 8);
        for (let i = 0; i < out.length; i++) out[i] = bytes.readDoubleLE(i * 8);
        return out;
      }
      default:
        throw new SafetensorsError(this.file, `tensor "${name}" is ${dtype}, not a float tensor`);
    }
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

/** The bytes as uint16s, copied where the Buffer's offset is odd (a typed view needs alignment). */
function littleEndianUint16(bytes: Buffer): Uint16Array {
  const aligned = bytes.byteOffset % 2 === 0 ? bytes : Buffer.from(bytes);
  return new Uint16Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 2);
}

function parseHeader(
  file: string,
  header: Buffer,
  dataBytes: number,
  dataStart: number,
): { tensors: Map<string, TensorInfo>; metadata: Record<string, string> } {
  let json: unknown;
  try {
    json = JSON.parse(header.toString('utf8'));
  } catch (error) {
    throw new SafetensorsError(file, `its header is not JSON (${(error as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new SafetensorsError(file, 'its header is not a JSON object');
  }
  const tensors = new Map<string, TensorInfo>();
  let metadata: Record<string, string> = {};
  const ranges: [number, number, string][] = [];
  for (const [name, entry] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = readMetadata(file, entry);
      continue;
    }
    const bad = (why: string) => new SafetensorsError(file, `tensor "${name}" ${why}`);
    if (typeof entry !== 'object' || entry === null) throw bad('has no description');
    const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
    if (typeof dtype !== 'string' || !Object.hasOwn(DTYPE_BYTES, dtype)) {
      throw bad(`has an unknown dtype ${JSON.stringify(dtype)}`);
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw bad('has a shape that is not a list of sizes');
    }
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
      offsets[0] > offsets[1] ||
      offsets[1] > dataBytes
    ) {
      throw bad(
        `has a byte range ${JSON.stringify(offsets)} outside the file's ${dataBytes} data bytes`,
      );
    }
    const [begin, end] = offsets as [number, number];
    const elements = (shape as number[]).reduce((n, d) => n * d, 1);
    if (elements * DTYPE_BYTES[dtype as SafetensorsDtype] !== end - begin) {
      throw bad(`claims ${elements} ${dtype} elements in ${end - begin} bytes`);
    }
    tensors.set(name, {
      name,
      dtype: dtype as SafetensorsDtype,
      shape: shape as number[],
      start: dataStart + begin,
      end: dataStart + end,
    });
    ranges.push([begin, end, name]);
  }
  // Overlapping tensors would let one write be read as two weights: the format forbids them.
  ranges.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < ranges.length; i++) {
    if (ranges[i]![0] < ranges[i - 1]![1]) {
      throw new SafetensorsError(
        file,
        `tensors "${ranges[i - 1]![2]}" and "${ranges[i]![2]}" overlap`,
      );
    }
  }
  return { tensors, metadata };
}

function readMetadata(file: string, entry: unknown): Record<string, string> {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    throw new SafetensorsError(file, 'its __metadata__ is not an object');
  }
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(entry)) {
    if (typeof value !== 'string')
      throw new SafetensorsError(file, `its __metadata__ "${key}" is not a string`);
    metadata[key] = value;
  }
  return metadata;
}

function readExactly(fd: number, into: Buffer, position: number): void {
  let filled = 0;
  while (filled < into.length) {
    const read = fs.readSync(fd, into, filled, into.length - filled, position + filled);
    if (read === 0) throw new Error(`unexpected end of file at byte ${position + filled}`);
    filled += read;
  }
}
