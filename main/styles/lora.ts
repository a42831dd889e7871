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

/**
 * Why a style's LoRA cannot run, for a caller that words it its own way (the app's style card):
 * what `reason` says, told apart, and with no path in it.
 */
export type StyleLoraProblem =
  /** No LoRA of that id is installed; `install`: the command that installs it. */
  | { kind: 'not-installed'; install: string }
  /** Installed, but its file has gone from the data folder. */
  | { kind: 'file-lost'; remove: string }
  /** The style's file is not there. */
  | { kind: 'file-missing' }
  /** The file is no LoRA the app can apply: why, naming the file by its base name only. */
  | { kind: 'unusable'; detail: string }
  /** Trained for the other model line: checkLoraFitsModel's sentence. */
  | { kind: 'misfit'; detail: string };

/** Why not: one sentence for a terminal (it may name a path), and the same told apart. */
export type StyleLoraRefusal = { reason: string; problem: StyleLoraProblem };

/** The LoRA to run with (the engine's LoraRequest is { file: path, scale }), or why not. */
export type StyleLoraResolution = { path: string; scale: number } | StyleLoraRefusal;

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
  return misfit
    ? { reason: misfit, problem: { kind: 'misfit', detail: misfit } }
    : { path: found.path, scale: lora.scale };
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
    problem?: StyleLoraProblem;
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
      ...('reason' in resolved ? { reason: resolved.reason, problem: resolved.problem } : {}),
    },
  };
}

function which(lora: StyleLora): { id: string } | { file: string } {
  return 'id' in lora ? { id: lora.id } : { file: path.basename(lora.path) };
}

type Found = { path: string; base: 'sd1' | 'sd2' | 'unknown' | undefined; fileName: string };

async function installed(id: string, options: StyleLoraOptions): Promise<Found | StyleLoraRefusal> {
  if (!(await isLoraInstalled(options.dataDir, id))) {
    const listed = await isInCatalog(id, options.catalog);
    const install = listed
      ? `npm run models -- install ${id}`
      : `npm run models -- import FILE.safetensors --id ${id}`;
    return {
      reason: `LoRA '${id}' is not installed: ${listed ? install : `import its file with ${install}`}`,
      problem: { kind: 'not-installed', install },
    };
  }
  const { manifest, path: file } = await getLora(options.dataDir, id);
  if (!(await isFile(file))) {
    return {
      reason: `LoRA '${id}' has lost its file ${file}: remove it and install it again`,
      problem: { kind: 'file-lost', remove: `npm run models -- remove ${id}` },
    };
  }
  return { path: file, base: manifest.base, fileName: manifest.fileName };
}

async function fileLora(file: string): Promise<Found | StyleLoraRefusal> {
  if (!(await isFile(file))) {
    return { reason: `LoRA file ${file} does not exist`, problem: { kind: 'file-missing' } };
  }
  try {
    return { path: file, base: inspectLora(file).base, fileName: path.basename(file) };
  } catch (error) {
    if (!isLoraError(error)) throw error;
    const detail = error.message.replaceAll(file, path.basename(file));
    return { reason: error.message, problem: { kind: 'unusable', detail } };
  }
}

/** Whether the model catalogue lists a LoRA of this id (so `install` gets it). */
async function isInCatalog(id: string, catalog: Catalog | undefined): Promise<boolean> {
  const entries = (catalog ?? (await loadCatalog(DEFAULT_CATALOG).catch(() => undefined)))?.entries;
  return entries?.some((e) => e.id === id && e.kind === 'lora') ?? false;
}

async function isFile(file: string): Promise<boolean> {
  return (await stat(file).catch(() => undefined))?.isFile() ?? false;
}
