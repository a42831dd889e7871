/**
 * A style's LoRA as a run needs it: the file and scale to hand the engine, or, when it cannot
 * run, the one sentence the style card shows instead (never thrown: a missing LoRA disables its
 * style, not the app).
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { isLoraError } from '../lora/errors.ts';
import { inspectLora } from '../lora/read-lora.ts';
import { DEFAULT_CATALOG, loadCatalog, type Catalog } from '../models/catalog.ts';
import { checkLoraFitsModel } from '../models/lora-fit.ts';
import { getLora, isLoraInstalled } from '../models/loras.ts';
import type { Style, StyleLora } from './types.ts';

export interface StyleLoraOptions {
  dataDir: string;
  /** The model the style will run on: a LoRA for the other line is refused (checkLoraFitsModel). */
  modelDir?: string;
  /**
   * The model catalogue, to tell whether a LoRA id that is not installed can be installed from
   * it. Default: models/catalog.json, read only when an id is missing.
   */
  catalog?: Catalog;
}

/** The LoRA to run with (the engine's LoraRequest is { file: path, scale }), or why not. */
export type StyleLoraResolution = { path: string; scale: number } | { reason: string };

/**
 * A style's LoRA resolved: an installed id to its file, a catalogue file checked to exist and to
 * be a LoRA the app can apply, and either checked against `modelDir`'s line. Undefined for a
 * style without a LoRA.
 */
export async function resolveStyleLora(
  style: Pick<Style, 'id' | 'lora'>,
  options: StyleLoraOptions,
): Promise<StyleLoraResolution | undefined> {
  const { lora } = style;
  if (!lora) return undefined;
  const found = 'id' in lora ? await installed(lora.id, options) : await fileLora(lora.path);
  if ('reason' in found) return found;
  const misfit = options.modelDir
    ? await checkLoraFitsModel(found, options.modelDir).catch(() => undefined)
    : undefined;
  return misfit ? { reason: misfit } : { path: found.path, scale: lora.scale };
}

/** What the style card shows of a style's LoRA: which, at what scale, and whether it can run. */
export interface StyleLoraStatus {
  lora?: {
    /** The installed LoRA's id, or (a file) the file's name. */
    id?: string;
    file?: string;
    scale: number;
    available: boolean;
    reason?: string;
  };
}

export async function styleLoraStatus(
  style: Pick<Style, 'id' | 'lora'>,
  options: StyleLoraOptions,
): Promise<StyleLoraStatus> {
  const { lora } = style;
  const resolved = await resolveStyleLora(style, options);
  if (!lora || !resolved) return {};
  return {
    lora: {
      ...which(lora),
      scale: lora.scale,
      available: !('reason' in resolved),
      ...('reason' in resolved ? { reason: resolved.reason } : {}),
    },
  };
}

function which(lora: StyleLora): { id: string } | { file: string } {
  return 'id' in lora ? { id: lora.id } : { file: path.basename(lora.path) };
}

type Found = { path: string; base: 'sd1' | 'sd2' | 'unknown' | undefined; fileName: string };

async function installed(
  id: string,
  options: StyleLoraOptions,
): Promise<Found | { reason: string }> {
  if (!(await isLoraInstalled(options.dataDir, id))) {
    return { reason: `LoRA '${id}' is not installed: ${await howToInstall(id, options.catalog)}` };
  }
  const { manifest, path: file } = await getLora(options.dataDir, id);
  if (!(await isFile(file))) {
    return { reason: `LoRA '${id}' has lost its file ${file}: remove it and install it again` };
  }
  return { path: file, base: manifest.base, fileName: manifest.fileName };
}

async function fileLora(file: string): Promise<Found | { reason: string }> {
  if (!(await isFile(file))) return { reason: `LoRA file ${file} does not exist` };
  try {
    return { path: file, base: inspectLora(file).base, fileName: path.basename(file) };
  } catch (error) {
    if (isLoraError(error)) return { reason: error.message };
    throw error;
  }
}

/** The command that installs the id: from the catalogue where it lists it, else an import. */
async function howToInstall(id: string, catalog: Catalog | undefined): Promise<string> {
  const entries = (catalog ?? (await loadCatalog(DEFAULT_CATALOG).catch(() => undefined)))?.entries;
  return entries?.some((e) => e.id === id && e.kind === 'lora')
    ? `npm run models -- install ${id}`
    : `import its file with npm run models -- import FILE.safetensors --id ${id}`;
}

async function isFile(file: string): Promise<boolean> {
  return (await stat(file).catch(() => undefined))?.isFile() ?? false;
}
