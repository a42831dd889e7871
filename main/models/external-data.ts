/**
 * ONNX external data: tensors kept beside the graph (location, offset, length keys), as exporters
 * write them past protobuf's 2 GB limit (unet/weights.pb, unet/model.onnx_data). Read one tensor at
 * a time and written one at a time, so a model rewrite never holds all of its weights twice.
 */
import { open, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { ModelError, type ModelErrorCode } from './errors.ts';
import { onnx, type ITensorProto } from './onnx-model.ts';

/** Reads the external tensors of a model file in `dir`. */
export class ExternalDataReader {
  private readonly handles = new Map<string, FileHandle>();

  constructor(
    private readonly dir: string,
    private readonly displayName: string,
    private readonly errorCode: ModelErrorCode,
  ) {}

  /** The data files read so far, relative to the model's folder. */
  get locations(): string[] {
    return [...this.handles.keys()];
  }

  /** Moves an external tensor's bytes into raw_data. */
  async inline(tensor: ITensorProto): Promise<void> {
    if (tensor.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL) return;
    const keys = new Map((tensor.externalData ?? []).map((e) => [e.key, e.value ?? '']));
    const location = keys.get('location') ?? '';
    if (!location || path.isAbsolute(location) || location.split(/[\\/]/).includes('..')) {
      throw this.fail(`keeps tensor ${tensor.name} outside its folder ("${location}")`);
    }
    const handle = await this.open(location);
    const offset = Number(keys.get('offset') ?? 0);
    const length = Number(keys.get('length') ?? (await handle.stat()).size - offset);
    const bytes = Buffer.alloc(length);
    const { bytesRead } = await handle.read(bytes, 0, length, offset);
    if (bytesRead !== length) throw this.fail(`has truncated external data ${location}`);
    tensor.rawData = bytes;
    tensor.dataLocation = onnx.TensorProto.DataLocation.DEFAULT;
    tensor.externalData = [];
  }

  /** A float32 initializer's values, from raw_data, float_data or its external file. */
  async floatsOf(tensor: ITensorProto): Promise<Float32Array> {
    await this.inline(tensor);
    const raw = tensor.rawData;
    if (raw && raw.length > 0) {
      const copy = new Uint8Array(raw); // raw_data sits unaligned inside the protobuf's bytes
      return new Float32Array(copy.buffer, 0, copy.length / 4);
    }
    return Float32Array.from(tensor.floatData ?? []);
  }

  async close(): Promise<void> {
    await Promise.all([...this.handles.values()].map((h) => h.close()));
  }

  private async open(location: string): Promise<FileHandle> {
    let handle = this.handles.get(location);
    if (!handle) {
      handle = await open(path.join(this.dir, location)).catch(() => {
        throw this.fail(`needs its external data file ${location}, which is missing`);
      });
      this.handles.set(location, handle);
    }
    return handle;
  }

  private fail(why: string): ModelError {
    return new ModelError(this.errorCode, `${this.displayName} ${why}`, this.displayName);
  }
}

/** Appends tensors to one data file beside a model file; the file is made on the first tensor. */
export class ExternalDataWriter {
  private handle: FileHandle | undefined;
  private offset = 0;

  /** @param file the data file; tensors name it relative to the model file's folder */
  constructor(private readonly file: string) {}

  /** Moves the tensor's raw_data to the end of the data file. */
  async append(tensor: ITensorProto): Promise<void> {
    const bytes = tensor.rawData!;
    this.handle ??= await open(this.file, 'wx');
    await this.handle.write(bytes, 0, bytes.length, this.offset);
    tensor.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
    tensor.externalData = [
      { key: 'location', value: path.basename(this.file) },
      { key: 'offset', value: String(this.offset) },
      { key: 'length', value: String(bytes.length) },
    ];
    tensor.rawData = new Uint8Array(0);
    this.offset += bytes.length;
  }

  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
  }

  /** Closes and deletes the data file, if this writer made one. */
  async discard(): Promise<void> {
    const made = this.handle !== undefined || this.offset > 0;
    await this.close();
    if (made) await rm(this.file, { force: true });
  }
}
