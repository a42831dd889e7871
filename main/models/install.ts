/**
 * Installs a catalogue model: plan the files (sizes and hashes settled), check the free space,
 * download into <dataDir>/models/.download-<id>/ (kept across a cancel or a crash, so the next
 * install resumes), validate with the engine's own loader, then rename into place. An ONNX entry's
 * download is the model folder itself; a diffusers entry's weights are built into ONNX graphs in a
 * staging folder first (removed on a failure or a cancel, as an import's is), and the download is
 * deleted once the model is installed. A LoRA entry's one file downloads the same way into
 * <dataDir>/loras/.download-<id>/, is read as a LoRA, and that folder becomes the LoRA's.
 */
import { mkdir, readFile, rename, rm, stat, statfs, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setImmediate as yieldToEvents } from 'node:timers/promises';
import { loadModel } from '../engine/model.ts';
import { BASES } from '../lora/lora-base.ts';
import { inspectLora } from '../lora/read-lora.ts';
import { parseTaesdConfig } from '../graphs/taesd-config.ts';
import { buildTaesdDecoder, buildTaesdEncoder } from '../graphs/taesd.ts';
import { SafetensorsFile } from '../weights/safetensors.ts';
import { safetensorsWeights } from '../weights/weight-source.ts';
import {
  findEntry,
  formatOf,
  planFiles,
  TAESD_WEIGHTS_DIR,
  type Catalog,
  type CatalogEntry,
  type HubTreeReader,
} from './catalog.ts';
import { precisionOfFolder } from './describe.ts';
import {
  bytesOnDisk,
  downloadFiles,
  type DownloadFile,
  type DownloadProgress,
  type DownloadResult,
} from './download.ts';
import { errnoCode, ModelError } from './errors.ts';
import {
  type BuildPrecision,
  type BuildProgress,
  buildFromDiffusers,
} from './from-weights/build-folder.ts';
import {
  listModelFiles,
  sha256File,
  type ManifestFile,
  type ModelManifest,
  type Precision,
} from './manifest.ts';
import {
  commitLora,
  LORA_FILE,
  loraManifest,
  type InstalledLora,
  type LoraManifest,
} from './loras.ts';
import {
  areaDir,
  checkIdFree,
  commitStaging,
  createStaging,
  idTakenIn,
  isAlive,
  type InstallArea,
  type InstalledModel,
} from './registry.ts';

export interface InstallOptions {
  dataDir: string;
  catalog: Catalog;
  id: string;
  signal?: AbortSignal;
  /** The download, then (a diffusers entry) the build, component by component. */
  onProgress?: (progress: InstallProgress) => void;
  /** What a diffusers entry's weights are built to (default fp32, the CPU's). */
  precision?: BuildPrecision;
  /** Files downloaded at once (default 3). */
  concurrency?: number;
  /** Free bytes on the disk holding `dir`; injectable so a test can fill the disk. */
  freeBytes?: (dir: string) => Promise<number>;
  readHubTree?: HubTreeReader;
  retryDelayMs?: number;
}

export type InstallProgress =
  ({ phase: 'download' } & DownloadProgress) | ({ phase: 'build' } & BuildProgress);

const LOCK_FILE = '.lock';

/** Where an entry's files download to, kept across a cancel or a crash for the next install. */
export function downloadDir(dataDir: string, id: string, area: InstallArea = 'models'): string {
  return path.join(areaDir(dataDir, area), `.download-${id}`);
}

export async function installFromCatalog(options: InstallOptions): Promise<InstalledModel> {
  const { dataDir, catalog, id } = options;
  const entry = findEntry(catalog, id);
  if (entry.kind === 'lora') {
    throw new ModelError(
      'UNKNOWN_MODEL',
      `"${id}" is a LoRA, not a model (installLoraFromCatalog installs it)`,
      id,
    );
  }
  await refuseInstalled(dataDir, 'models', id);
  const format = formatOf(entry);
  const precision = options.precision ?? 'fp32';
  const buildBytes = (files: readonly DownloadFile[]) =>
    format === 'diffusers' ? builtBytes(files, precision) : 0;
  return downloadEntry(options, entry, 'models', buildBytes, async (download, files, hashes) => {
    if (format === 'diffusers') {
      const installed = await buildAndCommit(options, entry, download, precision);
      // The weights were only the build's input: what is installed is what was built from them.
      await rm(download, { recursive: true, force: true });
      return installed;
    }
    // The hashes prove the bytes are the publisher's; the loader proves they make a model we can run.
    const model = await loadModel({ dir: download });
    await model.release();
    const manifest = catalogManifest(
      catalog,
      entry,
      files.map((f) => ({ path: f.name, size: f.size, sha256: hashes.get(f.name)! })),
      await precisionOfFolder(download),
    );
    await rm(path.join(download, LOCK_FILE), { force: true });
    return await commitStaging(dataDir, download, manifest);
  });
}

/**
 * Installs a catalogue LoRA (kind "lora"): its one file downloaded with the size and SHA-256
 * checks a model's files get, read as a LoRA (refused, and the download deleted, when the app
 * cannot apply it or it is not the model line the catalogue says), then renamed into place with
 * its record.
 */
export async function installLoraFromCatalog(options: InstallOptions): Promise<InstalledLora> {
  const { dataDir, catalog, id } = options;
  const entry = findEntry(catalog, id);
  if (entry.kind !== 'lora') {
    throw new ModelError('UNKNOWN_MODEL', `"${id}" is a model, not a LoRA`, id);
  }
  await refuseInstalled(dataDir, 'loras', id);
  return downloadEntry(
    options,
    entry,
    'loras',
    () => 0,
    async (download, files, hashes) => {
      const file = files[0]!;
      const fileName = file.name; // a plain file name (catalog.ts), as messages call it
      let manifest: LoraManifest;
      try {
        const summary = inspectLora(file.dest);
        if (entry.base && summary.base && summary.base !== entry.base) {
          throw new ModelError(
            'CATALOG_INVALID',
            `${fileName} is a LoRA for ${BASES[summary.base].name} models, but ${catalog.file} says "${id}" is for ${BASES[entry.base].name}`,
            catalog.file,
          );
        }
        manifest = loraManifest(summary, {
          id,
          name: entry.name,
          source: 'catalog',
          origin: `${catalog.file}#${id}`,
          fileName,
          license: entry.license,
          ...(entry.provenance ? { provenance: entry.provenance } : {}),
          ...(entry.base ? { base: entry.base } : {}),
          files: [{ path: LORA_FILE, size: file.size, sha256: hashes.get(file.name)! }],
        });
      } catch (error) {
        // The publisher's bytes, but nothing the app can run: a retry would refuse them again.
        await rm(download, { recursive: true, force: true });
        throw error;
      }
      // Its one file is LORA_FILE in the LoRA's folder, whatever the catalogue calls it.
      await rename(file.dest, path.join(download, LORA_FILE));
      await rm(path.join(download, LOCK_FILE), { force: true });
      return await commitLora(dataDir, download, manifest);
    },
  );
}

/** ALREADY_INSTALLED when `id` is installed, as this kind or the other. */
async function refuseInstalled(dataDir: string, area: InstallArea, id: string): Promise<void> {
  if ((await idTakenIn(dataDir, id)) === area) {
    throw new ModelError(
      'ALREADY_INSTALLED',
      `"${id}" is already installed (remove it first to reinstall)`,
      id,
    );
  }
  await checkIdFree(dataDir, area, id);
}

/**
 * Plans the entry's files (sizes and hashes settled), takes the download folder's lock, checks
 * the free space (with `buildBytes` more for what is built from them) and downloads them; `use`
 * installs from the download while the lock is held.
 */
async function downloadEntry<T>(
  options: InstallOptions,
  entry: CatalogEntry,
  area: InstallArea,
  buildBytes: (files: readonly DownloadFile[]) => number,
  use: (download: string, files: readonly DownloadFile[], hashes: DownloadResult) => Promise<T>,
): Promise<T> {
  const plan = await planFiles(options.catalog, entry, {
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.readHubTree ? { readHubTree: options.readHubTree } : {}),
  });
  const { onProgress } = options;
  const download = downloadDir(options.dataDir, entry.id, area);
  const files: DownloadFile[] = plan.map((f) => ({
    url: f.url,
    dest: path.join(download, ...f.path.split('/')),
    name: f.path,
    size: f.size,
    expected: f.expected,
  }));

  await takeLock(download, entry.id);
  try {
    await checkFreeSpace(download, files, buildBytes(files), options.freeBytes ?? freeBytesOn);
    const hashes = await downloadFiles(files, {
      concurrency: options.concurrency ?? 3,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(onProgress ? { onProgress: (p) => onProgress({ phase: 'download', ...p }) } : {}),
      ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
    });
    return await use(download, files, hashes);
  } finally {
    await releaseLock(download);
  }
}

function catalogManifest(
  catalog: Catalog,
  entry: CatalogEntry,
  files: ManifestFile[],
  precision: Precision,
): ModelManifest {
  return {
    formatVersion: 1,
    id: entry.id,
    name: entry.name,
    family: entry.family!,
    precision,
    source: 'catalog',
    origin: `${catalog.file}#${entry.id}`,
    license: entry.license,
    ...(entry.provenance ? { provenance: entry.provenance } : {}),
    ...(entry.recommended ? { recommended: entry.recommended } : {}),
    bytes: files.reduce((n, f) => n + f.size, 0),
    installedAt: new Date().toISOString(),
    files,
  };
}

/**
 * Builds the downloaded diffusers folder, and TAESD from its add-on's weights, in a staging
 * folder; loads the result once with the engine's loader; installs it with every built file
 * hashed. A failure or a cancel removes the staging folder (a crash leaves it to cleanLeftovers);
 * the download stays, so the next install builds again without fetching anything.
 */
async function buildAndCommit(
  options: InstallOptions,
  entry: CatalogEntry,
  download: string,
  precision: BuildPrecision,
): Promise<InstalledModel> {
  const { signal, onProgress } = options;
  // TAESD's two halves come after the model's components, counted in the same total.
  const extra = (entry.addons ?? []).length > 0 ? 2 : 0;
  const staging = await createStaging(options.dataDir);
  try {
    let total = 0;
    await buildFromDiffusers(download, staging, {
      precision,
      ...(signal ? { signal } : {}),
      onProgress: (p) => {
        total = p.total + extra;
        if (p.component !== 'done' || extra === 0) onProgress?.({ phase: 'build', ...p, total });
      },
    });
    if (extra > 0) {
      await buildTaesd(path.join(download, TAESD_WEIGHTS_DIR), staging, precision, {
        ...(signal ? { signal } : {}),
        report: (component, done) =>
          onProgress?.({ phase: 'build', component, done: total - extra + done, total }),
      });
    }
    signal?.throwIfAborted();
    // What the engine will load, loaded once now: a graph that cannot run is never installed.
    const model = await loadModel({ dir: staging });
    await model.release();
    const files: ManifestFile[] = [];
    for (const relative of await listModelFiles(staging)) {
      const file = path.join(staging, ...relative.split('/'));
      files.push({ path: relative, size: (await stat(file)).size, sha256: await sha256File(file) });
    }
    const manifest = catalogManifest(
      options.catalog,
      entry,
      files,
      await precisionOfFolder(staging),
    );
    return await commitStaging(options.dataDir, staging, manifest);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    if ((error as Error | undefined)?.name === 'AbortError') {
      throw new ModelError('ABORTED', `install of "${entry.id}" cancelled`, entry.id);
    }
    if (errnoCode(error) === 'ENOSPC') {
      throw new ModelError('DISK_FULL', `the disk is full while building "${entry.id}"`, staging);
    }
    throw error;
  }
}

/**
 * TAESD (diffusers' AutoencoderTiny, as madebyollin/taesd ships it) as taesd_encoder/ and
 * taesd_decoder/, each with the config.json whose scaling_factor the engine reads (model-folder.ts).
 * Kept in float under int8, as the full VAE is.
 */
async function buildTaesd(
  weightsDir: string,
  out: string,
  precision: BuildPrecision,
  options: { signal?: AbortSignal; report: (component: string, done: number) => void },
): Promise<void> {
  const configFile = path.join(weightsDir, 'config.json');
  let json: unknown;
  try {
    json = JSON.parse(await readFile(configFile, 'utf8'));
  } catch (error) {
    throw new ModelError(
      'IMPORT_UNSUPPORTED',
      `${TAESD_WEIGHTS_DIR}/config.json is not valid JSON: ${(error as Error).message}`,
      configFile,
    );
  }
  const config = parseTaesdConfig(json);
  // diffusers' AutoencoderTiny default: its latents are SD's scaled latents already.
  const scalingFactor = (json as { scaling_factor?: unknown }).scaling_factor ?? 1.0;
  const file = SafetensorsFile.open(path.join(weightsDir, 'diffusion_pytorch_model.safetensors'));
  try {
    const weights = safetensorsWeights([file]);
    const halves = [
      ['taesd_encoder', buildTaesdEncoder],
      ['taesd_decoder', buildTaesdDecoder],
    ] as const;
    for (const [done, [name, build]] of halves.entries()) {
      options.signal?.throwIfAborted();
      options.report(name, done);
      const folder = path.join(out, name);
      await mkdir(folder, { recursive: true });
      const graph = build(config, weights, {
        floatType: precision === 'fp16' ? 'float16' : 'float32',
      });
      await writeFile(path.join(folder, 'model.onnx'), graph.encode());
      await writeFile(
        path.join(folder, 'config.json'),
        `${JSON.stringify({ scaling_factor: scalingFactor }, null, 2)}\n`,
      );
      await yieldToEvents(); // a cancel gets in between the halves
    }
    options.report('done', halves.length);
  } finally {
    file.close();
  }
}

/**
 * About what a build from these weights writes: the safetensors' tensors at the build's precision
 * (an fp16 download built to fp32 doubles). Configs and graphs' structure are noise beside them.
 */
function builtBytes(files: readonly DownloadFile[], precision: BuildPrecision): number {
  const outBytes = { fp32: 4, fp16: 2, int8: 1 }[precision];
  return files
    .filter((f) => f.name.endsWith('.safetensors'))
    .reduce((n, f) => n + (f.size * outBytes) / (f.name.includes('.fp16') ? 2 : 4), 0);
}

/** Forgets a download in progress (its .part files too), a model's or a LoRA's; false when there was none. */
export async function discardDownload(dataDir: string, id: string): Promise<boolean> {
  let found = false;
  for (const area of ['models', 'loras'] as const) {
    const staging = downloadDir(dataDir, id, area);
    const exists = await stat(staging).then(
      () => true,
      () => false,
    );
    if (!exists) continue;
    await takeLock(staging, id); // refuses while another process is downloading it
    await rm(staging, { recursive: true, force: true });
    found = true;
  }
  return found;
}

/** `buildBytes`: what a build from the download writes beside it (0 for an ONNX entry). */
async function checkFreeSpace(
  download: string,
  files: readonly DownloadFile[],
  buildBytes: number,
  freeBytes: (dir: string) => Promise<number>,
): Promise<void> {
  const needed = files.reduce((n, f) => n + f.size, 0) - (await bytesOnDisk(files)) + buildBytes;
  const root = path.dirname(download);
  const free = await freeBytes(root);
  if (free < needed) {
    const what = buildBytes > 0 ? 'the download and the build need' : 'the download needs';
    throw new ModelError(
      'DISK_FULL',
      `not enough free space in ${root}: ${what} ${formatBytes(needed)} more, ${formatBytes(free)} is free`,
      root,
    );
  }
}

async function freeBytesOn(dir: string): Promise<number> {
  const stats = await statfs(dir);
  return stats.bavail * stats.bsize;
}

/** One installer per download folder: a second process would interleave writes to the same .part files. */
async function takeLock(staging: string, id: string): Promise<void> {
  await mkdir(staging, { recursive: true });
  const lock = path.join(staging, LOCK_FILE);
  try {
    await writeFile(lock, String(process.pid), { flag: 'wx' });
    return;
  } catch (error) {
    if (errnoCode(error) !== 'EEXIST') throw error;
  }
  const holder = Number(await readFile(lock, 'utf8').catch(() => ''));
  if (holder !== process.pid && isAlive(holder)) {
    throw new ModelError(
      'BUSY',
      `"${id}" is being installed by another process (pid ${holder})`,
      id,
    );
  }
  // A crashed installer's lock: take it over, and its .part files with it.
  await writeFile(lock, String(process.pid));
}

async function releaseLock(staging: string): Promise<void> {
  const lock = path.join(staging, LOCK_FILE);
  const holder = Number(await readFile(lock, 'utf8').catch(() => ''));
  if (holder === process.pid) await rm(lock, { force: true });
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}
