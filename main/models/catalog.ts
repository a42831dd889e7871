/**
 * The model catalogue (models/catalog.json): what can be installed, from where, and how each file
 * is checked. A file's size and SHA-256 are null where nobody here could check them ("unverified");
 * for a hub model the installer then takes them from the hub's own file metadata at download time.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isPlainObject } from '../api/fields.ts';
import type { Expected } from './download.ts';
import { ModelError } from './errors.ts';
import { getJson } from './http.ts';
import type { ModelFamily } from '../engine/types.ts';
import type { LoraBase } from '../lora/types.ts';
import { MODEL_FAMILIES } from '../styles/types.ts';
import type { RecommendedSettings } from './manifest.ts';
import { isModelId } from './model-id.ts';

export const DEFAULT_CATALOG = fileURLToPath(new URL('../../models/catalog.json', import.meta.url));

export interface CatalogFile {
  /** Where the file goes in the model folder. */
  path: string;
  /** Where it is on the server, when that differs (an add-on's vae_decoder → taesd_decoder). */
  from?: string;
  size: number | null;
  sha256: string | null;
}

/** A plain server (a mirror, a test server) or a Hugging Face model repository. */
export type CatalogSource = { baseUrl: string } | { hub: string; revision: string };

/**
 * What an entry's files are. onnx (the default): a model folder the engine loads as downloaded.
 * diffusers: the publisher's safetensors weights and configs, built into ONNX graphs at install
 * (main/models/from-weights); a diffusers add-on is TAESD's weights, built into taesd_encoder/
 * and taesd_decoder/.
 */
export const CATALOG_FORMATS = ['onnx', 'diffusers'] as const;
export type CatalogFormat = (typeof CATALOG_FORMATS)[number];

/** Where a diffusers add-on's files go in the download folder: TAESD's weights, as madebyollin/taesd ships them. */
export const TAESD_WEIGHTS_DIR = 'taesd';

/** The lines a catalogue LoRA may say it was trained for. */
export const LORA_BASES: readonly LoraBase[] = ['sd1', 'sd2'];

export interface CatalogEntry {
  id: string;
  name: string;
  /**
   * 'addon': files that complete a model (TAESD), installed with the models that name it.
   * 'lora': one .safetensors LoRA, installed into <dataDir>/loras/<id>/ (loras.ts).
   */
  kind: 'model' | 'addon' | 'lora';
  /** A LoRA's model line, checked against what its file says where the file tells. */
  base?: LoraBase;
  /** Default 'onnx'. */
  format?: CatalogFormat;
  family: ModelFamily | null;
  license: string;
  /**
   * Where the files come from, when that is in doubt (an unofficial re-upload that states no
   * licence): shown next to the model wherever it is listed.
   */
  provenance?: string;
  homepage?: string;
  recommended?: RecommendedSettings;
  /** Sum of the files' sizes; null while any is unverified. */
  totalBytes: number | null;
  source: CatalogSource;
  files: CatalogFile[];
  /**
   * Hub folders ("unet/") whose files are taken. onnx: all but weights in other formats.
   * diffusers: configs, tokenizer files and safetensors weights only, the fp16 variant where the
   * folder has one (half the download; built to fp32 all the same).
   */
  include?: string[];
  /** Add-on ids whose files are installed into this model too. */
  addons?: string[];
  notes?: string;
}

export interface Catalog {
  file: string;
  entries: CatalogEntry[];
}

export async function loadCatalog(file: string = DEFAULT_CATALOG): Promise<Catalog> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new ModelError('CATALOG_INVALID', `${file}: ${(error as Error).message}`, file);
  }
  return { file, entries: parseCatalog(value, file) };
}

/** Checks the shape field by field so a bad catalogue names the field, not a crash later. */
export function parseCatalog(value: unknown, file: string): CatalogEntry[] {
  const fail = (where: string, what: string): never => {
    throw new ModelError('CATALOG_INVALID', `${file}: ${where} ${what}`, file);
  };
  const models = (value as { models?: unknown } | null)?.models;
  if (!Array.isArray(models)) fail('models', 'must be an array');
  const entries = models as Record<string, unknown>[];
  const ids = new Set<string>();
  entries.forEach((entry, i) => {
    const at = `models[${i}]`;
    if (!isPlainObject(entry)) fail(at, 'must be an object');
    if (!isModelId(entry.id)) fail(`${at}.id`, 'must be a lowercase slug');
    if (ids.has(entry.id as string)) fail(`${at}.id`, `"${String(entry.id)}" is listed twice`);
    ids.add(entry.id as string);
    if (typeof entry.name !== 'string') fail(`${at}.name`, 'must be a string');
    if (entry.kind !== 'model' && entry.kind !== 'addon' && entry.kind !== 'lora')
      fail(`${at}.kind`, 'must be "model", "addon" or "lora"');
    if (entry.kind === 'lora') checkLoraEntry(entry, (where, what) => fail(`${at}${where}`, what));
    else if (entry.base !== undefined) fail(`${at}.base`, 'is for a LoRA (kind "lora") only');
    if (
      entry.format !== undefined &&
      !(CATALOG_FORMATS as readonly unknown[]).includes(entry.format)
    )
      fail(
        `${at}.format`,
        `must be one of ${CATALOG_FORMATS.map((f) => `"${f}"`).join(', ')} (default "onnx"), got ${JSON.stringify(entry.format)}`,
      );
    const diffusers = entry.format === 'diffusers';
    const familyOk =
      entry.kind === 'model'
        ? (MODEL_FAMILIES as readonly unknown[]).includes(entry.family)
        : entry.family === null;
    if (!familyOk)
      fail(
        `${at}.family`,
        `must be one of ${MODEL_FAMILIES.join(', ')} (null for an add-on or a LoRA)`,
      );
    if (typeof entry.license !== 'string') fail(`${at}.license`, 'must be a string');
    if (entry.provenance !== undefined && typeof entry.provenance !== 'string')
      fail(`${at}.provenance`, 'must be a string');
    if (!(entry.totalBytes === null || isSize(entry.totalBytes)))
      fail(`${at}.totalBytes`, 'must be a byte count or null');
    const source = entry.source as Record<string, unknown> | undefined;
    const isUrl = typeof source?.baseUrl === 'string' && /^https?:\/\//.test(source.baseUrl);
    const isHub =
      typeof source?.hub === 'string' &&
      /^[\w.-]+\/[\w.-]+$/.test(source.hub) &&
      typeof source.revision === 'string';
    if (!isUrl && !isHub)
      fail(`${at}.source`, 'must be {baseUrl: "http(s)://…"} or {hub: "owner/repo", revision}');
    if (!Array.isArray(entry.files)) fail(`${at}.files`, 'must be an array');
    (entry.files as Record<string, unknown>[]).forEach((f, j) => {
      const fat = `${at}.files[${j}]`;
      if (!isPlainObject(f)) fail(fat, 'must be an object');
      if (!isRelativePath(f.path))
        fail(`${fat}.path`, 'must be a relative path inside the model folder');
      if (f.from !== undefined && !isRelativePath(f.from))
        fail(`${fat}.from`, 'must be a relative path');
      if (diffusers && !isDiffusersFile(f.path as string))
        fail(
          `${fat}.path`,
          'must be safetensors weights or a config (.json, .txt) in a diffusers entry: pickled .bin/.ckpt and .onnx files are never downloaded',
        );
      if (
        diffusers &&
        entry.kind === 'addon' &&
        !(f.path as string).startsWith(`${TAESD_WEIGHTS_DIR}/`)
      )
        fail(
          `${fat}.path`,
          `must be in ${TAESD_WEIGHTS_DIR}/: a diffusers add-on is TAESD's weights`,
        );
      if (!(f.size === null || isSize(f.size)))
        fail(`${fat}.size`, 'must be a byte count or null (unverified)');
      if (!(
        f.sha256 === null ||
        (typeof f.sha256 === 'string' && /^[0-9a-f]{64}$/.test(f.sha256))
      )) {
        fail(`${fat}.sha256`, 'must be 64 lowercase hex digits or null (unverified)');
      }
      if (isUrl && (f.size === null || f.sha256 === null)) {
        fail(fat, 'needs its size and sha256: only a hub can supply them at download time');
      }
    });
    if (entry.include !== undefined) {
      const ok =
        Array.isArray(entry.include) &&
        entry.include.every((p) => isRelativePath(p) && p.endsWith('/'));
      if (!ok || !isHub) fail(`${at}.include`, 'must list hub folders ending in "/"');
    }
    if (
      entry.addons !== undefined &&
      !(Array.isArray(entry.addons) && entry.addons.every(isModelId))
    ) {
      fail(`${at}.addons`, 'must list add-on ids');
    }
  });
  for (const entry of entries) {
    for (const id of (entry.addons as string[] | undefined) ?? []) {
      const addon = entries.find((e) => e.id === id && e.kind === 'addon');
      if (!addon) {
        fail(`models "${String(entry.id)}".addons`, `names "${id}", which is not an add-on here`);
      }
      // An ONNX add-on's files are copied into the folder as they are, a diffusers one's built
      // beside the model's graphs: each goes with models of its own format.
      const [format, addonFormat] = [formatOf(entry), formatOf(addon!)];
      if (format !== addonFormat) {
        fail(
          `models "${String(entry.id)}".addons`,
          `names "${id}", whose format is ${addonFormat}: a model's add-ons share its format (${format})`,
        );
      }
    }
  }
  return entries as unknown as CatalogEntry[];
}

/** A LoRA entry: one .safetensors file, no build, no add-ons; `base` one of the lines. */
function checkLoraEntry(
  entry: Record<string, unknown>,
  fail: (where: string, what: string) => never,
) {
  if (entry.format !== undefined)
    fail('.format', 'is not for a LoRA (it is one .safetensors file)');
  if (entry.addons !== undefined || entry.include !== undefined)
    fail('', 'a LoRA takes no addons or include');
  const files = entry.files;
  if (!Array.isArray(files) || files.length !== 1)
    fail('.files', 'must list the one .safetensors file of the LoRA');
  const file = (files as unknown[])[0];
  if (!isPlainObject(file)) return fail('.files[0]', 'must be an object');
  if (typeof file.path !== 'string' || !/^[^/]+\.safetensors$/.test(file.path))
    fail(
      '.files[0].path',
      'must be a .safetensors file name (a server path goes in "from"): a LoRA is never a pickle (.pt, .ckpt)',
    );
  if (entry.base !== undefined && !(LORA_BASES as readonly unknown[]).includes(entry.base))
    fail('.base', `must be one of ${LORA_BASES.join(', ')}, got ${JSON.stringify(entry.base)}`);
}

/** The entry's format, 'onnx' where it names none. */
export function formatOf(entry: { format?: unknown }): CatalogFormat {
  return (entry.format as CatalogFormat | undefined) ?? 'onnx';
}

export function findEntry(catalog: Catalog, id: string): CatalogEntry {
  const entry = catalog.entries.find((e) => e.id === id);
  if (!entry) {
    const known = (kind: CatalogEntry['kind']) =>
      catalog.entries.filter((e) => e.kind === kind).map((e) => e.id);
    const loras = known('lora');
    throw new ModelError(
      'UNKNOWN_MODEL',
      `"${id}" is not in ${catalog.file} (models: ${known('model').join(', ')}${loras.length > 0 ? `; LoRAs: ${loras.join(', ')}` : ''})`,
      id,
    );
  }
  if (entry.kind === 'addon') {
    const hosts = catalog.entries.filter((e) => e.addons?.includes(id)).map((e) => e.id);
    throw new ModelError(
      'UNKNOWN_MODEL',
      `"${id}" is an add-on installed together with ${hosts.join(', ') || 'no model'}; install one of those`,
      id,
    );
  }
  return entry;
}

/** A file to fetch, with the size and hash it must have, wherever they came from. */
export interface PlannedFile {
  path: string;
  url: string;
  size: number;
  expected: Expected;
}

/** Hub metadata as /api/models/{repo}/tree/{revision}?recursive=true lists it. */
interface HubTreeEntry {
  type: string;
  path: string;
  size: number;
  oid?: string;
  lfs?: { oid: string; size: number };
}

export type HubTreeReader = (
  repo: string,
  revision: string,
  signal?: AbortSignal,
) => Promise<HubTreeEntry[]>;

/** Weights in formats the engine does not read, which hub repositories often hold beside the ONNX. */
const SKIPPED_EXTENSIONS = [
  '.safetensors',
  '.bin',
  '.ckpt',
  '.pt',
  '.pth',
  '.msgpack',
  '.h5',
  '.md',
];

/**
 * Every file the model and its add-ons need, with sizes and hashes settled: from the catalogue
 * where it has them, else from the hub's metadata (LFS files carry their SHA-256; small files kept
 * in git carry their git blob id, which the download checks instead).
 */
export async function planFiles(
  catalog: Catalog,
  entry: CatalogEntry,
  options: { signal?: AbortSignal; readHubTree?: HubTreeReader } = {},
): Promise<PlannedFile[]> {
  const readTree = options.readHubTree ?? readHubTree;
  const planned = new Map<string, PlannedFile>();
  const parts = [
    entry,
    ...(entry.addons ?? []).map((id) => catalog.entries.find((e) => e.id === id)!),
  ];
  for (const part of parts) {
    const source = part.source;
    if ('baseUrl' in source) {
      for (const f of part.files) {
        planned.set(f.path, {
          path: f.path,
          url: new URL(encodePath(f.from ?? f.path), withSlash(source.baseUrl)).href,
          size: f.size!,
          expected: { sha256: f.sha256! },
        });
      }
      continue;
    }
    const tree = await readTree(source.hub, source.revision, options.signal);
    const byPath = new Map(tree.filter((t) => t.type === 'file').map((t) => [t.path, t]));
    const wanted: { path: string; from: string; known?: CatalogFile }[] = part.files.map((f) => ({
      path: f.path,
      from: f.from ?? f.path,
      known: f,
    }));
    const taken = formatOf(part) === 'diffusers' ? diffusersFiles([...byPath.keys()]) : onnxFiles;
    for (const folder of part.include ?? []) {
      const inFolder = [...byPath.keys()].filter((hubPath) => hubPath.startsWith(folder));
      for (const hubPath of taken(inFolder)) {
        if (!wanted.some((w) => w.from === hubPath)) wanted.push({ path: hubPath, from: hubPath });
      }
    }
    for (const want of wanted) {
      const meta = byPath.get(want.from);
      const url = `https://huggingface.co/${source.hub}/resolve/${encodeURIComponent(source.revision)}/${encodePath(want.from)}`;
      if (!meta) {
        throw new ModelError(
          'NOT_FOUND',
          `${want.from} is not in ${source.hub} at ${source.revision} (${url})`,
          url,
        );
      }
      const sha256 = want.known?.sha256 ?? meta.lfs?.oid ?? null;
      planned.set(want.path, {
        path: want.path,
        url,
        size: want.known?.size ?? meta.lfs?.size ?? meta.size,
        expected: sha256 ? { sha256 } : { gitBlobSha1: meta.oid ?? '' },
      });
    }
  }
  return [...planned.values()];
}

function onnxFiles(paths: readonly string[]): string[] {
  return paths.filter((p) => !SKIPPED_EXTENSIONS.some((ext) => p.endsWith(ext)));
}

/** Weights and configs the build reads (diffusers-folder.ts); never pickles or ONNX files. */
function isDiffusersFile(relative: string): boolean {
  return /\.(safetensors|json|txt)$/.test(relative);
}

/**
 * A diffusers folder's files to download, from `all` the repository holds: configs and tokenizer
 * files, and in each folder one variant of the safetensors weights: fp16
 * (`model.fp16.safetensors`, `…fp16-00001-of-00002.safetensors`) where the folder has it, else the
 * plain one. Other variants (`non_ema`, `ema_only`) are training leftovers, never taken.
 */
function diffusersFiles(all: readonly string[]): (paths: readonly string[]) => string[] {
  const variantOf = (p: string): string | undefined => {
    const name = path.posix.basename(p, '.safetensors');
    const dot = name.indexOf('.');
    return dot < 0 ? undefined : name.slice(dot + 1).replace(/-\d+-of-\d+$/, '');
  };
  const weights = all.filter((p) => p.endsWith('.safetensors'));
  const hasFp16 = new Set(
    weights.filter((p) => variantOf(p) === 'fp16').map((p) => path.posix.dirname(p)),
  );
  return (paths) =>
    paths.filter((p) => {
      if (!isDiffusersFile(p)) return false;
      if (!p.endsWith('.safetensors')) return true;
      return variantOf(p) === (hasFp16.has(path.posix.dirname(p)) ? 'fp16' : undefined);
    });
}

/** The hub's file list with sizes and hashes, following its pagination. */
export async function readHubTree(
  repo: string,
  revision: string,
  signal?: AbortSignal,
): Promise<HubTreeEntry[]> {
  let url: string | undefined =
    `https://huggingface.co/api/models/${repo}/tree/${encodeURIComponent(revision)}?recursive=true`;
  const entries: HubTreeEntry[] = [];
  while (url) {
    const { body, link } = await getJson(url, signal);
    if (!Array.isArray(body)) throw new ModelError('HTTP_ERROR', `${url} did not list files`, url);
    entries.push(...(body as HubTreeEntry[]));
    url = /<([^>]+)>;\s*rel="next"/.exec(link ?? '')?.[1];
  }
  return entries;
}

function isSize(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function isRelativePath(value: unknown): value is string {
  if (typeof value !== 'string' || value === '' || value.startsWith('/') || value.includes('\\'))
    return false;
  return (
    !value.split('/').some((part) => part === '..' || part === '.') &&
    path.posix.normalize(value) === value
  );
}

function encodePath(relative: string): string {
  return relative.split('/').map(encodeURIComponent).join('/');
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}
