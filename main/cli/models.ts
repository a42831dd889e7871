import path from 'node:path';
import { parseArgs } from 'node:util';
import { resolveDataDir } from '../store/data-folder.ts';
import { DEFAULT_CATALOG, findEntry, loadCatalog, type Catalog } from '../models/catalog.ts';
import { readDefaultModelId, setDefaultModel } from '../models/default-model.ts';
import type { BuildProgress } from '../models/from-weights/build-folder.ts';
import { deterministicEncoder, ENCODER_FILES } from '../engine/onnx/deterministic-encoder.ts';
import { importModel } from '../models/import.ts';
import {
  discardDownload,
  formatBytes,
  installFromCatalog,
  installLoraFromCatalog,
  type InstallProgress,
} from '../models/install.ts';
import { isLoraFile } from '../lora/read-lora.ts';
import { ModelError } from '../models/errors.ts';
import { checkLoraFitsModel } from '../models/lora-fit.ts';
import {
  describeLora,
  importLora,
  isLoraInstalled,
  listLoras,
  removeLora,
  verifyLora,
  type InstalledLora,
  type LoraManifest,
} from '../models/loras.ts';
import type { ModelFamily } from '../engine/types.ts';
import { MODEL_FAMILIES } from '../styles/types.ts';
import { PRECISIONS, type ChangedFile, type QuantizeReport } from '../models/manifest.ts';
import { quantizeInstalled } from '../models/quantize.ts';
import {
  cleanLeftovers,
  getInstalled,
  isInstalled,
  listInstalled,
  removeInstalled,
  verifyInstalled,
  type InstalledModel,
} from '../models/registry.ts';
import { runCli, UsageError } from './run-cli.ts';

/** The app's families, and SD 2.1 (an SD 2.x checkpoint driven as SD 1.5 is). */
const IMPORT_FAMILIES = [...MODEL_FAMILIES, 'sd21'] as const;

const USAGE = `usage: npm run models -- <command>
  list [--json]                       installed models (the default marked), then LoRAs. --json:
                                      one array, models first as before (each with its dir), then
                                      LoRAs, told by "kind": "model" | "lora" (a LoRA has a path,
                                      its .safetensors file, and no dir)
  install ID [--catalog FILE]         download a catalogue model or LoRA (resumes an interrupted
                                      download)
  import SOURCE [--link] [--id ID] [--name NAME] [--family ${IMPORT_FAMILIES.join('|')}] [--json]
             [--precision fp32|fp16|int8]
                                      SOURCE: an ONNX model folder, a diffusers folder of
                                      safetensors, or a single-file .safetensors checkpoint
                                      (built into ONNX graphs here). fp32 upcasts an fp16 export
                                      (faster on CPU); int8 quantizes as quantize does. A LoRA
                                      .safetensors (kohya or diffusers/PEFT keys) is installed as
                                      a LoRA, copied (or --link'ed) and hashed
  verify ID [--json]                  re-hash every file (a model's or a LoRA's) against the
                                      install record
  remove ID                           delete an installed model or LoRA (or an unfinished download)
  quantize ID [--latent-size 64] [--runs 3]   make and measure an int8 copy, ID-int8 (fp32 or fp16)
  default [ID]                        show or set the default model
The data folder is AVATAR_STUDIO_DATA (else the app's per-user folder).`;

/** The model manager from a terminal; the app calls the same main/models functions. */
async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      catalog: { type: 'string' },
      link: { type: 'boolean', default: false },
      id: { type: 'string' },
      name: { type: 'string' },
      family: { type: 'string' },
      'latent-size': { type: 'string' },
      runs: { type: 'string' },
      precision: { type: 'string' },
    },
  });
  const [command, target, ...extra] = positionals;
  if (extra.length > 0) throw new UsageError(`unexpected argument ${extra[0]}`);
  const dataDir = resolveDataDir();
  await cleanLeftovers(dataDir);
  const needTarget = (what: string): string => {
    if (!target) throw new UsageError(`${command} needs ${what}`);
    return target;
  };

  switch (command) {
    case 'list':
      return list(dataDir, values.json);
    case 'install': {
      const id = needTarget('a catalogue id');
      const catalog = await loadCatalog(values.catalog ?? DEFAULT_CATALOG);
      // What the user agrees to by downloading, said before the first byte.
      for (const line of licenceLines(catalog, id)) console.log(line);
      const cancel = new AbortController();
      process.once('SIGINT', () => cancel.abort());
      const progress = new ProgressLine();
      const options = {
        dataDir,
        catalog,
        id,
        signal: cancel.signal,
        onProgress: (p: InstallProgress) => progress.show(p),
      };
      try {
        if (findEntry(catalog, id).kind === 'lora') {
          const { manifest } = await installLoraFromCatalog(options);
          progress.end();
          console.log(`installed ${manifest.id}: ${describeLoraInstall(manifest)}`);
          return;
        }
        const { manifest } = await installFromCatalog(options);
        progress.end();
        console.log(
          `installed ${manifest.id} (${formatBytes(manifest.bytes)}, ${manifest.precision})${manifest.provenance ? `; ${manifest.provenance}` : ''}`,
        );
      } catch (error) {
        progress.end();
        if (cancel.signal.aborted) throw new Error(`cancelled; run install ${id} again to resume`);
        throw error;
      }
      return;
    }
    case 'import': {
      const asked = values.family;
      if (asked !== undefined && !(IMPORT_FAMILIES as readonly string[]).includes(asked)) {
        throw new UsageError(`--family must be one of ${IMPORT_FAMILIES.join(', ')}`);
      }
      // SD 2.1 is driven as SD 1.5 is (guided, many steps); its checkpoint's layout says SD 2.x.
      const family = asked === 'sd21' ? 'sd15' : asked;
      const wanted = values.precision;
      if (wanted !== undefined && !(PRECISIONS as readonly string[]).includes(wanted)) {
        throw new UsageError(`--precision must be one of ${PRECISIONS.join(', ')}`);
      }
      const source = needTarget('a model folder, a .safetensors checkpoint or a LoRA');
      if (isLoraSource(source)) {
        if (asked !== undefined || wanted !== undefined) {
          throw new UsageError(`${source} is a LoRA: --family and --precision are for models`);
        }
        return importLoraCommand(dataDir, source, values);
      }
      const { manifest, dir } = await importModel({
        dataDir,
        source,
        link: values.link,
        ...(values.id !== undefined ? { id: values.id } : {}),
        ...(values.name !== undefined ? { name: values.name } : {}),
        ...(family !== undefined ? { family: family as ModelFamily } : {}),
        ...(wanted !== undefined ? { precision: wanted as (typeof PRECISIONS)[number] } : {}),
        onProgress: buildProgress(),
      });
      const int8 =
        wanted === 'int8' && manifest.precision !== 'int8'
          ? await quantizeInstalled({ dataDir, id: manifest.id, ...measureOptions(values) })
          : undefined;
      const changed = manifest.changed ?? [];
      if (values.json) {
        const { id, name, family, precision, bytes } = manifest;
        const quantized = int8 && {
          int8: { id: int8.model.manifest.id, bytes: int8.model.manifest.bytes, ...int8.report },
        };
        console.log(
          JSON.stringify(
            { id, name, family, precision, bytes, dir, changed, ...quantized },
            null,
            2,
          ),
        );
        return;
      }
      console.log(
        `imported ${manifest.id} (${manifest.family}, ${manifest.precision}, ${formatBytes(manifest.bytes)})`,
      );
      for (const c of changed) console.log(`  ${describeChange(c)}`);
      if (int8) printQuantized(int8.model, int8.report);
      return;
    }
    case 'verify': {
      const id = needTarget('a model or LoRA id');
      if (await isLoraInstalled(dataDir, id)) return verifyLoraCommand(dataDir, id, values.json);
      if (!(await isInstalled(dataDir, id))) await notInstalled(dataDir, id);
      const { model, problems } = await verifyInstalled(dataDir, id);
      const changed = model.manifest.changed ?? [];
      const rewrittenAtLoad = problems.length > 0 ? [] : await rewrittenAtLoadOf(model);
      if (values.json) {
        const { id, files } = model.manifest;
        const report = { id, files: files.length, problems, changed, rewrittenAtLoad };
        console.log(JSON.stringify(report, null, 2));
      }
      if (problems.length > 0) {
        const list = problems.map((p) => `${p.path} ${p.problem}`).join(', ');
        throw new Error(`${model.manifest.id} failed verification: ${list}; reinstall it`);
      }
      if (values.json) return;
      console.log(`${model.manifest.id}: all ${model.manifest.files.length} files match`);
      for (const c of changed) console.log(`  ${describeChange(c)}`);
      for (const r of rewrittenAtLoad) {
        console.log(
          `  ${r.path}: rewritten in memory at every load (the file is as installed): ${r.change}`,
        );
      }
      return;
    }
    case 'remove': {
      const id = needTarget('a model or LoRA id');
      if (await isInstalled(dataDir, id)) {
        await removeInstalled(dataDir, id);
        console.log(`removed ${id}`);
      } else if (await isLoraInstalled(dataDir, id)) {
        await removeLora(dataDir, id);
        console.log(`removed the LoRA ${id}`);
      } else if (await discardDownload(dataDir, id)) {
        console.log(`discarded the unfinished download of ${id}`);
      } else {
        await notInstalled(dataDir, id);
      }
      return;
    }
    case 'quantize': {
      const { model, report } = await quantizeInstalled({
        dataDir,
        id: needTarget('a model id'),
        ...measureOptions(values),
      });
      printQuantized(model, report);
      return;
    }
    case 'default': {
      if (target) {
        await setDefaultModel(dataDir, target);
        console.log(`default model: ${target}`);
      } else {
        console.log(
          readDefaultModelId(dataDir) ?? 'no default set (the first installed model is used)',
        );
      }
      return;
    }
    default:
      throw new UsageError(command ? `unknown command ${command}` : 'a command is needed');
  }
}

function measureOptions(values: {
  'latent-size'?: string | undefined;
  runs?: string | undefined;
}): { latentSize?: number; runs?: number } {
  return {
    ...(values['latent-size']
      ? { latentSize: positive(values['latent-size'], '--latent-size') }
      : {}),
    ...(values.runs ? { runs: positive(values.runs, '--runs') } : {}),
  };
}

/** The quantize report: each error and time against the original (fp32, or fp16 upcast first). */
function printQuantized(model: InstalledModel, report: QuantizeReport): void {
  const ms = (n: number): string => `${n.toFixed(1)} ms`;
  const original = report.reference ?? 'fp32';
  console.log(`made ${model.manifest.id} (${formatBytes(model.manifest.bytes)})`);
  console.log(
    `text encoder: relative error ${report.textEncoderError.toExponential(2)}, ${ms(report.textEncoderMs.fp32)} ${original} vs ${ms(report.textEncoderMs.int8)} int8`,
  );
  console.log(
    `unet (${report.latentSize}x${report.latentSize} latents): relative error ${report.unetError.toExponential(2)}, ${ms(report.unetMs.fp32)} ${original} vs ${ms(report.unetMs.int8)} int8`,
  );
  console.log(
    `speed ratio ${original}/int8: ${report.speedup.toFixed(2)} (median of ${report.runs}); ${report.speedup > 1 ? 'runs on CPU will use the int8 copy' : 'slower here: CPU runs keep the original'}`,
  );
}

function describeChange(c: ChangedFile): string {
  return `${c.path}: changed at import: ${c.change} (the source's file, sha256 ${c.originalSha256.slice(0, 12)}…, is untouched)`;
}

/** Encoders installed as their source wrote them that still sample at random (catalogue files). */
async function rewrittenAtLoadOf({
  manifest,
  dir,
}: InstalledModel): Promise<{ path: string; change: string }[]> {
  const found: { path: string; change: string }[] = [];
  for (const file of ENCODER_FILES) {
    if (!manifest.files.some((f) => f.path === file)) continue;
    const rewritten = await deterministicEncoder(path.join(dir, ...file.split('/')), file);
    if (rewritten) found.push({ path: file, change: rewritten.change });
  }
  return found;
}

async function list(dataDir: string, json: boolean): Promise<void> {
  const installed = await listInstalled(dataDir);
  const loras = await listLoras(dataDir);
  const defaultId = installed.length > 0 ? readDefaultModelId(dataDir) : null;
  const rows = installed.map(({ manifest: m, dir }) => ({
    kind: 'model' as const,
    id: m.id,
    name: m.name,
    family: m.family,
    precision: m.precision,
    source: m.source,
    bytes: m.bytes,
    installedAt: m.installedAt,
    default: m.id === defaultId,
    dir,
    ...(m.quantization ? { quantization: m.quantization } : {}),
    ...(m.provenance ? { provenance: m.provenance } : {}),
  }));
  if (json) {
    console.log(JSON.stringify([...rows, ...loras.map(loraRow)], null, 2));
    return;
  }
  if (rows.length === 0) {
    console.log(
      'No models installed. Install one (install sd-turbo) or import a folder (import DIR).',
    );
  }
  for (const r of rows) {
    console.log(
      `${r.default ? '*' : ' '} ${r.id.padEnd(24)} ${r.family.padEnd(9)} ${r.precision.padEnd(5)} ${formatBytes(r.bytes).padStart(9)}  ${r.name}${r.provenance ? ` (${r.provenance})` : ''}`,
    );
  }
  if (loras.length > 0) console.log('LoRAs:');
  for (const { manifest: m } of loras) {
    console.log(
      `  ${m.id.padEnd(24)} ${m.base.padEnd(15)} ${formatBytes(m.bytes).padStart(9)}  ${m.name}: ${describeLora(m)}${m.provenance ? ` (${m.provenance})` : ''}`,
    );
  }
}

/** A LoRA in `list --json`: "kind": "lora", and `path`, its .safetensors file. */
function loraRow({ manifest: m, path: file }: InstalledLora) {
  const { id, name, base, format, ranks, layers, components, source, bytes, installedAt } = m;
  return {
    kind: 'lora' as const,
    ...{ id, name, base, format, ranks, layers, components, source, bytes, installedAt },
    path: file,
    ...(m.provenance ? { provenance: m.provenance } : {}),
  };
}

/** Whether `source` is a LoRA file: a .safetensors whose header holds LoRA keys. */
function isLoraSource(source: string): boolean {
  if (!source.toLowerCase().endsWith('.safetensors')) return false;
  try {
    return isLoraFile(source);
  } catch {
    return false; // not a safetensors file: the checkpoint import refuses it, naming the fault
  }
}

async function importLoraCommand(
  dataDir: string,
  source: string,
  values: { link: boolean; json: boolean; id?: string | undefined; name?: string | undefined },
): Promise<void> {
  const lora = await importLora({
    dataDir,
    source,
    link: values.link,
    ...(values.id !== undefined ? { id: values.id } : {}),
    ...(values.name !== undefined ? { name: values.name } : {}),
  });
  // The early check against what is installed: a LoRA runs only on models of its line.
  const misfits: string[] = [];
  for (const model of await listInstalled(dataDir)) {
    const misfit = await checkLoraFitsModel(lora.manifest, model.dir);
    if (misfit) misfits.push(misfit);
  }
  if (values.json) {
    console.log(JSON.stringify({ ...loraRow(lora), misfits }, null, 2));
    return;
  }
  console.log(`imported ${lora.manifest.id}: ${describeLoraInstall(lora.manifest)}`);
  for (const misfit of misfits) console.log(`  ${misfit}: styles using it will not run there`);
}

async function verifyLoraCommand(dataDir: string, id: string, json: boolean): Promise<void> {
  const { lora, problems } = await verifyLora(dataDir, id);
  if (json) {
    console.log(
      JSON.stringify({ id, kind: 'lora', files: lora.manifest.files.length, problems }, null, 2),
    );
  }
  if (problems.length > 0) {
    const list = problems.map((p) => `${p.path} ${p.problem}`).join(', ');
    throw new Error(`${id} failed verification: ${list}; reinstall it`);
  }
  if (!json) console.log(`${id}: the LoRA's file matches its install record`);
}

/** "LoRA for SD 1.x models (kohya, rank 4, 66 layers), 132.7 KB". */
function describeLoraInstall(m: LoraManifest): string {
  return `${describeLora(m)}, ${formatBytes(m.bytes)}${m.provenance ? `; ${m.provenance}` : ''}`;
}

/**
 * MODEL_NOT_INSTALLED for an id that is neither a model nor a LoRA, listing both (the models'
 * message as it always was while no LoRA is installed).
 */
async function notInstalled(dataDir: string, id: string): Promise<never> {
  const loras = (await listLoras(dataDir)).map((l) => l.manifest.id);
  if (loras.length === 0) await getInstalled(dataDir, id);
  const models = (await listInstalled(dataDir)).map((m) => m.manifest.id);
  throw new ModelError(
    'MODEL_NOT_INSTALLED',
    `no installed model or LoRA "${id}" (models: ${models.join(', ') || 'none'}; LoRAs: ${loras.join(', ') || 'none'})`,
    id,
  );
}

/** The licence of the model and of each add-on installed with it, and any provenance note. */
function licenceLines(catalog: Catalog, id: string): string[] {
  const entry = findEntry(catalog, id); // UNKNOWN_MODEL, listing the catalogue's models
  const addons = (entry.addons ?? []).map((a) => catalog.entries.find((e) => e.id === a)!);
  return [
    `licence: ${entry.license}${entry.homepage ? ` (${entry.homepage})` : ''}`,
    ...addons.map((a) => `licence of ${a.name}, installed with it: ${a.license}`),
    ...(entry.provenance ? [`provenance: ${entry.provenance}`] : []),
  ];
}

/** One line per component built, with a time left once one is done. */
function buildProgress(): (progress: BuildProgress) => void {
  const started = Date.now();
  return ({ component, done, total }) => {
    const seconds = (Date.now() - started) / 1000;
    const eta = done > 0 ? `, about ${Math.round((seconds / done) * (total - done))} s left` : '';
    if (done < total) console.error(`building ${component} (${done + 1}/${total}${eta})`);
  };
}

/** The download as one line redrawn (a terminal) or logged every 2 s; then the build's lines. */
class ProgressLine {
  private lastLogged = 0;
  private drawn = false;
  private build: ((progress: BuildProgress) => void) | undefined;

  show(p: InstallProgress): void {
    if (p.phase === 'build') {
      this.end();
      this.build ??= buildProgress();
      this.build(p);
      return;
    }
    const percent = p.bytesTotal > 0 ? (100 * p.bytesDone) / p.bytesTotal : 100;
    const eta = p.etaSeconds === null ? '--' : `${Math.ceil(p.etaSeconds)} s`;
    const line = `${percent.toFixed(1)}%  ${formatBytes(p.bytesDone)} of ${formatBytes(p.bytesTotal)}  ${formatBytes(p.speed)}/s  ETA ${eta}  (${p.filesDone}/${p.filesTotal} files)`;
    if (process.stderr.isTTY) {
      process.stderr.write(`\r${line}\x1b[K`);
      this.drawn = true;
    } else if (Date.now() - this.lastLogged > 2000 || p.bytesDone === p.bytesTotal) {
      process.stderr.write(`${line}\n`);
      this.lastLogged = Date.now();
    }
  }

  end(): void {
    if (this.drawn) process.stderr.write('\n');
    this.drawn = false;
  }
}

function positive(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw new UsageError(`${flag} must be a positive integer`);
  return value;
}

runCli(main, USAGE);
