/**
 * Installed LoRAs: <dataDir>/loras/<id>/lora.safetensors with its record, avatar-studio-lora.json,
 * written last, the folder made in a staging folder and renamed into place as a model's is
 * (registry.ts). Models and LoRAs share one space of ids. What a LoRA is (format, model line,
 * ranks) is read from its header by main/lora/read-lora.ts, which refuses what the app cannot
 * apply (SDXL, LyCORIS, not a LoRA at all) before anything is copied; the file is hashed at install
 * so `verify` tells a damaged file from the one that was checked.
 */
import { rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { oneOf } from '../api/fields.ts';
import { BASES } from '../lora/lora-base.ts';
import { LORA_FORMATS } from '../lora/lora-keys.ts';
import { inspectLora, type LoraSummary } from '../lora/read-lora.ts';
import { LORA_COMPONENTS, type LoraBase } from '../lora/types.ts';
import { importFailure } from './errors.ts';
import { checkedId, copyHashing, linkThenHash } from './import.ts';
import { manifestFile, readRecord, writeRecord } from './manifest.ts';
import { isModelId } from './model-id.ts';
import {
  areaDir,
  commitFolder,
  createStaging,
  getFromArea,
  installDir,
  isInArea,
  listArea,
  removeFolder,
  verifyFiles,
  type AreaRecord,
  type VerifyProblem,
} from './registry.ts';

/** The LoRA's file in its folder, whatever it was called where it came from. */
export const LORA_FILE = 'lora.safetensors';
export const LORA_MANIFEST_FILE = 'avatar-studio-lora.json';

/** Written last into an installed LoRA's folder: a folder without one is not installed. */
const loraRecord = z.object({
  formatVersion: z.literal(1),
  kind: z.literal('lora'),
  id: z.string().refine(isModelId, 'must be a lowercase slug'),
  name: z.string(),
  /** The model line it was trained for; 'unknown' where neither its metadata nor widths tell. */
  base: oneOf([...(Object.keys(BASES) as LoraBase[]), 'unknown'] as const),
  format: oneOf(LORA_FORMATS),
  /** The distinct ranks of its layers, ascending. */
  ranks: z.array(z.number().int().positive()),
  layers: z.number().int().nonnegative(),
  components: z.array(oneOf(LORA_COMPONENTS)),
  source: z.enum(['catalog', 'import']),
  /** The file imported, or the catalogue file and id. */
  origin: z.string(),
  /** Its file's name where it came from ("clay.safetensors"): what messages call it. */
  fileName: z.string(),
  license: z.string().optional(),
  provenance: z.string().optional(),
  bytes: z.number().int().nonnegative(),
  installedAt: z.string(),
  /** One file, LORA_FILE, hashed at install. */
  files: z.array(manifestFile),
});
export type LoraManifest = z.infer<typeof loraRecord>;

export interface InstalledLora {
  manifest: LoraManifest;
  dir: string;
  /** The .safetensors file to run with (the engine's LoraRequest.file). */
  path: string;
}

const LORA_RECORD: AreaRecord<LoraManifest> = {
  area: 'loras',
  file: LORA_MANIFEST_FILE,
  read: readLoraManifest,
};

export function lorasDir(dataDir: string): string {
  return areaDir(dataDir, 'loras');
}

export async function readLoraManifest(dir: string): Promise<LoraManifest> {
  return readRecord(path.join(dir, LORA_MANIFEST_FILE), loraRecord, 'a LoRA record');
}

/** Installed LoRAs, oldest first. */
export async function listLoras(dataDir: string): Promise<InstalledLora[]> {
  return (await listArea(dataDir, LORA_RECORD)).map(withPath);
}

/** MODEL_NOT_INSTALLED, listing the LoRAs installed, when there is none of that id. */
export async function getLora(dataDir: string, id: string): Promise<InstalledLora> {
  return withPath(await getFromArea(dataDir, LORA_RECORD, id));
}

export async function isLoraInstalled(dataDir: string, id: string): Promise<boolean> {
  return isModelId(id) && isInArea(dataDir, LORA_RECORD, id);
}

export async function removeLora(dataDir: string, id: string): Promise<void> {
  const { dir } = await getLora(dataDir, id);
  await removeFolder(dataDir, 'loras', dir, id);
}

/** Re-hashes the file against the record written at install. */
export async function verifyLora(
  dataDir: string,
  id: string,
): Promise<{ lora: InstalledLora; problems: VerifyProblem[] }> {
  const lora = await getLora(dataDir, id);
  return { lora, problems: await verifyFiles(lora.dir, lora.manifest.files) };
}

export interface LoraImportOptions {
  dataDir: string;
  /** A LoRA .safetensors file (kohya's or diffusers/PEFT's key names). */
  source: string;
  /** Hard-link the file instead of copying it (same disk only; falls back to a copy). */
  link?: boolean;
  /** Default: derived from the file's name, de-duplicated against models and LoRAs. */
  id?: string;
  name?: string;
}

/**
 * Installs a LoRA the user has: read and checked first (a LoRAError naming the key for what the
 * app cannot apply), then copied or linked into a staging folder, hashed, and renamed into place.
 */
export async function importLora(options: LoraImportOptions): Promise<InstalledLora> {
  const source = path.resolve(options.source);
  const summary = inspectLora(source); // LoraError: not a LoRA, SDXL, LyCORIS, a broken file
  const id = await checkedId(options, source, 'loras');
  const staging = await createStaging(options.dataDir, 'loras');
  try {
    const to = path.join(staging, LORA_FILE);
    const sha256 = options.link ? await linkThenHash(source, to) : await copyHashing(source, to);
    const manifest = loraManifest(summary, {
      id,
      name: options.name ?? path.basename(source).replace(/\.safetensors$/i, ''),
      source: 'import',
      origin: source,
      fileName: path.basename(source),
      files: [{ path: LORA_FILE, size: (await stat(to)).size, sha256 }],
    });
    return await commitLora(options.dataDir, staging, manifest);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw importFailure(error, source);
  }
}

/** The record of a LoRA whose file `summary` describes. */
export function loraManifest(
  summary: LoraSummary,
  fields: Pick<LoraManifest, 'id' | 'name' | 'source' | 'origin' | 'fileName' | 'files'> &
    Partial<Pick<LoraManifest, 'license' | 'provenance'>> & { base?: LoraBase },
): LoraManifest {
  const { base, files, ...rest } = fields;
  return {
    formatVersion: 1,
    kind: 'lora',
    ...rest,
    base: summary.base ?? base ?? 'unknown',
    format: summary.format,
    ranks: summary.ranks,
    layers: summary.layers,
    components: summary.components,
    bytes: files.reduce((n, f) => n + f.size, 0),
    installedAt: new Date().toISOString(),
    files,
  };
}

/** Writes the record into the staging folder, then renames it to <dataDir>/loras/<id>. */
export async function commitLora(
  dataDir: string,
  staging: string,
  manifest: LoraManifest,
): Promise<InstalledLora> {
  const dir = await commitFolder(dataDir, 'loras', staging, manifest.id, (folder) =>
    writeRecord(path.join(folder, LORA_MANIFEST_FILE), manifest),
  );
  return withPath({ manifest, dir });
}

/** "LoRA for SD 1.x models (kohya, rank 4, 66 layers)", for the CLI and the model screen. */
export function describeLora(
  lora: Pick<LoraSummary, 'format' | 'ranks' | 'layers'> & {
    base: LoraBase | 'unknown' | undefined;
  },
): string {
  const line =
    lora.base === undefined || lora.base === 'unknown'
      ? 'LoRA, model line unknown'
      : `LoRA for ${BASES[lora.base].name} models`;
  const ranks =
    lora.ranks.length === 1
      ? `rank ${lora.ranks[0]}`
      : `ranks ${lora.ranks[0]}-${lora.ranks.at(-1)}`;
  return `${line} (${lora.format}, ${ranks}, ${lora.layers} layers)`;
}

/** The folder a LoRA id names, checked to be an id. */
export function loraDir(dataDir: string, id: string): string {
  return installDir(dataDir, 'loras', id);
}

function withPath({ manifest, dir }: { manifest: LoraManifest; dir: string }): InstalledLora {
  return { manifest, dir, path: path.join(dir, LORA_FILE) };
}
