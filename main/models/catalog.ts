/**
 * The model catalogue (models/catalog.json): what can be installed, from where, and which files
 * to fetch with the size and hash each must have. What a catalogue may say: catalog-schema.ts.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  formatOf,
  isDiffusersFile,
  parseCatalog,
  type CatalogEntry,
  type CatalogFile,
} from './catalog-schema.ts';
import type { Expected } from './download.ts';
import { ModelError } from './errors.ts';
import { getJson } from './http.ts';

export { formatOf, parseCatalog, TAESD_WEIGHTS_DIR, type CatalogEntry } from './catalog-schema.ts';

export const DEFAULT_CATALOG = fileURLToPath(new URL('../../models/catalog.json', import.meta.url));

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

function encodePath(relative: string): string {
  return relative.split('/').map(encodeURIComponent).join('/');
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}
