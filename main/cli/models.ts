import { parseArgs } from 'node:util';
import { resolveDataDir } from '../store/data-folder.ts';
import { DEFAULT_CATALOG, loadCatalog } from '../models/catalog.ts';
import { readDefaultModelId, setDefaultModel } from '../models/default-model.ts';
import type { DownloadProgress } from '../models/download.ts';
import { importModel } from '../models/import.ts';
import { discardDownload, formatBytes, installFromCatalog } from '../models/install.ts';
import type { ModelFamily } from '../engine/types.ts';
import { MODEL_FAMILIES } from '../styles/types.ts';
import { quantizeInstalled } from '../models/quantize.ts';
import {
  cleanLeftovers,
  isInstalled,
  listInstalled,
  removeInstalled,
  verifyInstalled,
} from '../models/registry.ts';
import { runCli, UsageError } from './run-cli.ts';

const USAGE = `usage: npm run models -- <command>
  list [--json]                       installed models (the default marked)
  install ID [--catalog FILE]         download a catalogue model (resumes an interrupted download)
  import DIR [--link] [--id ID] [--name NAME] [--family ${MODEL_FAMILIES.join('|')}]
  verify ID                           re-hash every file against the install record
  remove ID                           delete an installed model (or an unfinished download)
  quantize ID [--latent-size 64] [--runs 3]   make and measure an int8 copy, ID-int8
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
      const cancel = new AbortController();
      process.once('SIGINT', () => cancel.abort());
      const progress = new ProgressLine();
      try {
        const { manifest } = await installFromCatalog({
          dataDir,
          catalog,
          id,
          signal: cancel.signal,
          onProgress: (p) => progress.show(p),
        });
        progress.end();
        console.log(
          `installed ${manifest.id} (${formatBytes(manifest.bytes)}, ${manifest.precision})`,
        );
      } catch (error) {
        progress.end();
        if (cancel.signal.aborted) throw new Error(`cancelled; run install ${id} again to resume`);
        throw error;
      }
      return;
    }
    case 'import': {
      const family = values.family;
      if (family !== undefined && !(MODEL_FAMILIES as readonly string[]).includes(family)) {
        throw new UsageError(`--family must be one of ${MODEL_FAMILIES.join(', ')}`);
      }
      const { manifest } = await importModel({
        dataDir,
        source: needTarget('a model folder'),
        link: values.link,
        ...(values.id !== undefined ? { id: values.id } : {}),
        ...(values.name !== undefined ? { name: values.name } : {}),
        ...(family !== undefined ? { family: family as ModelFamily } : {}),
      });
      console.log(
        `imported ${manifest.id} (${manifest.family}, ${manifest.precision}, ${formatBytes(manifest.bytes)})`,
      );
      return;
    }
    case 'verify': {
      const { model, problems } = await verifyInstalled(dataDir, needTarget('a model id'));
      if (problems.length > 0) {
        const list = problems.map((p) => `${p.path} ${p.problem}`).join(', ');
        throw new Error(`${model.manifest.id} failed verification: ${list}; reinstall it`);
      }
      console.log(`${model.manifest.id}: all ${model.manifest.files.length} files match`);
      return;
    }
    case 'remove': {
      const id = needTarget('a model id');
      if (await isInstalled(dataDir, id)) {
        await removeInstalled(dataDir, id);
        console.log(`removed ${id}`);
      } else if (await discardDownload(dataDir, id)) {
        console.log(`discarded the unfinished download of ${id}`);
      } else {
        await removeInstalled(dataDir, id); // MODEL_NOT_INSTALLED, listing what is installed
      }
      return;
    }
    case 'quantize': {
      const { model, report } = await quantizeInstalled({
        dataDir,
        id: needTarget('a model id'),
        ...(values['latent-size']
          ? { latentSize: positive(values['latent-size'], '--latent-size') }
          : {}),
        ...(values.runs ? { runs: positive(values.runs, '--runs') } : {}),
      });
      const ms = (n: number): string => `${n.toFixed(1)} ms`;
      console.log(`made ${model.manifest.id} (${formatBytes(model.manifest.bytes)})`);
      console.log(
        `text encoder: relative error ${report.textEncoderError.toExponential(2)}, ${ms(report.textEncoderMs.fp32)} fp32 vs ${ms(report.textEncoderMs.int8)} int8`,
      );
      console.log(
        `unet (${report.latentSize}x${report.latentSize} latents): relative error ${report.unetError.toExponential(2)}, ${ms(report.unetMs.fp32)} fp32 vs ${ms(report.unetMs.int8)} int8`,
      );
      console.log(
        `speed ratio fp32/int8: ${report.speedup.toFixed(2)} (median of ${report.runs}); ${report.speedup > 1 ? 'runs on CPU will use the int8 copy' : 'slower here: CPU runs keep the original'}`,
      );
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

async function list(dataDir: string, json: boolean): Promise<void> {
  const installed = await listInstalled(dataDir);
  const defaultId = installed.length > 0 ? readDefaultModelId(dataDir) : null;
  const rows = installed.map(({ manifest: m, dir }) => ({
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
  }));
  if (json) {
    console.log(JSON.stringify(rows, null, 2));
    return;
  }
  if (rows.length === 0) {
    console.log(
      'No models installed. Install one (install sd-turbo) or import a folder (import DIR).',
    );
    return;
  }
  for (const r of rows) {
    console.log(
      `${r.default ? '*' : ' '} ${r.id.padEnd(24)} ${r.family.padEnd(9)} ${r.precision.padEnd(5)} ${formatBytes(r.bytes).padStart(9)}  ${r.name}`,
    );
  }
}

/** One progress line on stderr: redrawn in place on a terminal, every few seconds into a log. */
class ProgressLine {
  private lastLogged = 0;
  private drawn = false;

  show(p: DownloadProgress): void {
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
