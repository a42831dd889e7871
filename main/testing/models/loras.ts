/** Shared by the LoRA tests: the reference LoRAs, variants of them, their catalogue and models. */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { REFERENCE_DIR } from '../graphs/reference.ts';
import type { LoraBase } from '../../lora/types.ts';
import type { CatalogEntry } from '../../models/catalog.ts';
import { importModel } from '../../models/import.ts';
import { sha256File } from '../../models/manifest.ts';
import type { InstalledModel } from '../../models/registry.ts';

/** diffusers' kohya-format LoRAs of the two tiny reference models (rank 4, 66 layers each). */
export const REFERENCE_LORA: Readonly<Record<LoraBase, string>> = {
  sd1: path.join(REFERENCE_DIR, 'sd1-tiny/lora-kohya.safetensors'),
  sd2: path.join(REFERENCE_DIR, 'sd2-tiny/lora-kohya.safetensors'),
};

/**
 * The tiny models are 64 wide, so their LoRAs' widths tell no line: kohya's trainer records it in
 * `__metadata__` (ss_base_model_version), as written here into a copy at `dest`.
 */
export async function loraWithMetadata(
  source: string,
  dest: string,
  metadata: Record<string, string>,
): Promise<string> {
  const bytes = await readFile(source);
  const length = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + length).toString('utf8')) as Record<
    string,
    unknown
  >;
  const json = Buffer.from(JSON.stringify({ ...header, __metadata__: metadata }));
  const size = Buffer.alloc(8);
  size.writeBigUInt64LE(BigInt(json.length));
  await writeFile(dest, Buffer.concat([size, json, bytes.subarray(8 + length)]));
  return dest;
}

/** The reference LoRA of `base`, copied to `dest` with its line in the trainer's metadata. */
export function labelledLora(base: LoraBase, dest: string): Promise<string> {
  const version = { sd1: 'sd_v1', sd2: 'sd_2.1' }[base];
  return loraWithMetadata(REFERENCE_LORA[base], dest, { ss_base_model_version: version });
}

/** A catalogue entry of kind "lora" for one file served from `baseUrl`. */
export function loraEntry(fields: {
  id: string;
  file: string;
  size: number;
  sha256: string;
  baseUrl: string;
  base?: LoraBase;
}): CatalogEntry {
  const { id, file, size, sha256, baseUrl, base } = fields;
  return {
    id,
    name: `Fixture LoRA ${id}`,
    kind: 'lora',
    family: null,
    ...(base ? { base } : {}),
    license: 'MIT',
    totalBytes: size,
    source: { baseUrl },
    files: [{ path: file, size, sha256 }],
  };
}

/** A catalogue of one LoRA, `id`, whose file `dir`/`file` is served from `baseUrl`. */
export async function writeLoraCatalogFor(
  catalogFile: string,
  id: string,
  dir: string,
  file: string,
  baseUrl: string,
  extra: { base?: LoraBase } = {},
): Promise<void> {
  const full = path.join(dir, file);
  const { length: size } = await readFile(full);
  const entry = loraEntry({ id, file, size, sha256: await sha256File(full), baseUrl, ...extra });
  await writeFile(catalogFile, JSON.stringify({ formatVersion: 1, models: [entry] }, null, 2));
}

/** The tiny reference checkpoint of `base` built and installed as `id` (sd1: sd15, sd2: turbo). */
export function importReferenceModel(
  dataDir: string,
  base: LoraBase,
  id: string,
): Promise<InstalledModel> {
  return importModel({
    dataDir,
    source: path.join(REFERENCE_DIR, `${base}-tiny/checkpoint.safetensors`),
    id,
    name: base === 'sd1' ? 'Tiny SD 1.x' : 'Tiny SD-Turbo',
    family: base === 'sd1' ? 'sd15' : 'turbo',
  });
}
