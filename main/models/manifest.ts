import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ModelFamily } from '../engine/types.ts';
import { MODEL_FAMILIES } from '../styles/types.ts';
import { ModelError } from './errors.ts';
import { isModelId } from './model-id.ts';

export const PRECISIONS = ['fp32', 'fp16', 'int8'] as const;
export type Precision = (typeof PRECISIONS)[number];
export type ModelSource = 'catalog' | 'import' | 'quantized';

/** What the model was made to run with: the run screen's defaults for it. */
export interface RecommendedSettings {
  steps?: number;
  strength?: number;
  guidance?: number;
  scheduler?: string;
  size?: number;
}

export interface ManifestFile {
  /** Relative to the model folder, with forward slashes. */
  path: string;
  size: number;
  sha256: string;
}

/** What `models quantize` measured: errors are relative L2 against the original's outputs. */
export interface QuantizeReport {
  textEncoderError: number;
  unetError: number;
  /** Median milliseconds per call, the original (`fp32`) then int8, same inputs and threads. */
  textEncoderMs: { fp32: number; int8: number };
  unetMs: { fp32: number; int8: number };
  /** Original UNet time / int8 UNet time: above 1 the int8 copy is faster on this machine. */
  speedup: number;
  /** 'fp16' when the original was an fp16 model (upcast, then quantized); absent: fp32. */
  reference?: 'fp16';
  latentSize: number;
  runs: number;
}

/** An installed file that differs from its source's on purpose; the source's stays untouched. */
export interface ChangedFile {
  path: string;
  /** The source file's hash, so the installed one can be traced to it. */
  originalSha256: string;
  /** What was done, in words. */
  change: string;
}

/** Written last into an installed model's folder: a folder without one is not installed. */
export interface ModelManifest {
  formatVersion: 1;
  id: string;
  name: string;
  family: ModelFamily;
  precision: Precision;
  source: ModelSource;
  /** Catalogue id and URL, imported folder, or the id the int8 copy was made from. */
  origin: string;
  /** The id this int8 copy was quantized from (source 'quantized' only). */
  quantizedFrom?: string;
  quantization?: QuantizeReport;
  license?: string;
  /** The catalogue's doubt about where the files come from (CatalogEntry.provenance). */
  provenance?: string;
  recommended?: RecommendedSettings;
  bytes: number;
  installedAt: string;
  /** Files changed at install (an encoder that drew its own sample, made deterministic). */
  changed?: ChangedFile[];
  /** Hashed at install so `verify` can tell a damaged file from the one that was checked. */
  files: ManifestFile[];
}

export const MANIFEST_FILE = 'avatar-studio-model.json';

/** The record of a model installed from files the user had (`models import`). */
export function importedManifest(
  fields: Pick<ModelManifest, 'id' | 'name' | 'family' | 'precision' | 'origin' | 'files'> & {
    changed?: ChangedFile[];
  },
): ModelManifest {
  const { changed, ...rest } = fields;
  return {
    formatVersion: 1,
    source: 'import',
    ...rest,
    bytes: fields.files.reduce((n, f) => n + f.size, 0),
    installedAt: new Date().toISOString(),
    ...(changed && changed.length > 0 ? { changed } : {}),
  };
}

export async function readManifest(dir: string): Promise<ModelManifest> {
  const file = path.join(dir, MANIFEST_FILE);
  const m = (await readRecord(file)) as Partial<ModelManifest>;
  const valid =
    m.formatVersion === 1 &&
    isModelId(m.id) &&
    typeof m.name === 'string' &&
    (MODEL_FAMILIES as readonly unknown[]).includes(m.family) &&
    (PRECISIONS as readonly unknown[]).includes(m.precision) &&
    Array.isArray(m.files);
  if (!valid) throw new ModelError('MANIFEST_INVALID', `${file} is not a model manifest`, file);
  return m as ModelManifest;
}

/** An install record's JSON; MANIFEST_INVALID naming the file when it cannot be read. */
export async function readRecord(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as unknown;
  } catch (error) {
    throw new ModelError(
      'MANIFEST_INVALID',
      `${file} is unreadable: ${(error as Error).message}`,
      file,
    );
  }
}

/** Temp file + rename: a crash leaves the old manifest or the new one, never half of one. */
export async function writeManifest(dir: string, manifest: ModelManifest): Promise<void> {
  await writeRecord(path.join(dir, MANIFEST_FILE), manifest);
}

/** JSON written to a temp file, then renamed over `file`: never half a record. */
export async function writeRecord(file: string, value: unknown): Promise<void> {
  const temp = `${file}.tmp-${process.pid}`;
  await writeFile(temp, `${JSON.stringify(value, null, 2)}\n`);
  await rename(temp, file);
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Every file of a model folder but the manifest, relative, sorted: what a manifest lists. */
export async function listModelFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries) {
    const full = path.join(entry.parentPath, entry.name);
    // A link to a file counts as that file: Hugging Face's cache keeps every model file as a
    // link into its blobs folder, outside the model's own.
    const isFile =
      entry.isFile() ||
      (entry.isSymbolicLink() && ((await stat(full).catch(() => undefined))?.isFile() ?? false));
    if (isFile) files.push(path.relative(dir, full).split(path.sep).join('/'));
  }
  return files.filter((relative) => relative !== MANIFEST_FILE).sort();
}
