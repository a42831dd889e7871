import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { oneOf } from '../api/fields.ts';
import { MODEL_FAMILIES } from '../styles/types.ts';
import { ModelError } from './errors.ts';
import { isModelId } from './model-id.ts';

export const PRECISIONS = ['fp32', 'fp16', 'int8'] as const;
export type Precision = (typeof PRECISIONS)[number];

const count = z.number().int().nonnegative();
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits');

/** What the model was made to run with: the run screen's defaults for it. */
export const recommendedSettings = z.object({
  steps: z.number().optional(),
  strength: z.number().optional(),
  guidance: z.number().optional(),
  scheduler: z.string().optional(),
  size: z.number().optional(),
});
export type RecommendedSettings = z.infer<typeof recommendedSettings>;

export const manifestFile = z.object({
  /** Relative to the model folder, with forward slashes. */
  path: z.string(),
  size: count,
  sha256,
});
export type ManifestFile = z.infer<typeof manifestFile>;

const milliseconds = z.object({ fp32: z.number(), int8: z.number() });

/** What `models quantize` measured: errors are relative L2 against the original's outputs. */
const quantizeReport = z.object({
  textEncoderError: z.number(),
  unetError: z.number(),
  /** Median milliseconds per call, the original (`fp32`) then int8, same inputs and threads. */
  textEncoderMs: milliseconds,
  unetMs: milliseconds,
  /** Original UNet time / int8 UNet time: above 1 the int8 copy is faster on this machine. */
  speedup: z.number(),
  /** 'fp16' when the original was an fp16 model (upcast, then quantized); absent: fp32. */
  reference: z.literal('fp16').optional(),
  latentSize: z.number(),
  runs: z.number(),
});
export type QuantizeReport = z.infer<typeof quantizeReport>;

/** An installed file that differs from its source's on purpose; the source's stays untouched. */
const changedFile = z.object({
  path: z.string(),
  /** The source file's hash, so the installed one can be traced to it. */
  originalSha256: sha256,
  /** What was done, in words. */
  change: z.string(),
});
export type ChangedFile = z.infer<typeof changedFile>;

/** Written last into an installed model's folder: a folder without one is not installed. */
const modelManifest = z.object({
  formatVersion: z.literal(1),
  id: z.string().refine(isModelId, 'must be a lowercase slug'),
  name: z.string(),
  family: oneOf(MODEL_FAMILIES),
  precision: z.enum(PRECISIONS),
  source: z.enum(['catalog', 'import', 'quantized']),
  /** Catalogue id and URL, imported folder, or the id the int8 copy was made from. */
  origin: z.string(),
  /** The id this int8 copy was quantized from (source 'quantized' only). */
  quantizedFrom: z.string().optional(),
  quantization: quantizeReport.optional(),
  license: z.string().optional(),
  /** The catalogue's doubt about where the files come from (CatalogEntry.provenance). */
  provenance: z.string().optional(),
  recommended: recommendedSettings.optional(),
  bytes: count,
  installedAt: z.string(),
  /** Files changed at install (an encoder that drew its own sample, made deterministic). */
  changed: z.array(changedFile).optional(),
  /** Hashed at install so `verify` can tell a damaged file from the one that was checked. */
  files: z.array(manifestFile),
});
export type ModelManifest = z.infer<typeof modelManifest>;
export type ModelSource = ModelManifest['source'];

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

export function readManifest(dir: string): Promise<ModelManifest> {
  return readRecord(path.join(dir, MANIFEST_FILE), modelManifest, 'a model manifest');
}

/**
 * An install record, checked against its schema; MANIFEST_INVALID naming the file, and the first
 * field that is wrong, when it cannot be read or is not `what`.
 */
export async function readRecord<T extends z.ZodTypeAny>(
  file: string,
  schema: T,
  what: string,
): Promise<z.output<T>> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new ModelError(
      'MANIFEST_INVALID',
      `${file} is unreadable: ${(error as Error).message}`,
      file,
    );
  }
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data as z.output<T>;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.length > 0 ? ` (${issue.path.join('.')}: ${issue.message})` : '';
  throw new ModelError('MANIFEST_INVALID', `${file} is not ${what}${field}`, file);
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
