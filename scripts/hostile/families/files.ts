/**
 * Attacks through files and processes, as a user's download, a shared folder or a crash could
 * make them: model folders that lie about their size or escape their folder, photos that are not
 * files, and runs killed mid-way whose images must still be deleted.
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { cp, mkdir, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { onnx } from '../../../main/models/onnx-model.ts';
import { imagesDir } from '../../../main/store/data-folder.ts';
import { integrityCheck } from '../../../main/testing/store.ts';
import { type CliOutcome, cli as runCli } from '../../../main/testing/cli.ts';
import { type Attack, breach } from '../attack.ts';
import { PORTRAITS } from './http.ts';

const run = promisify(execFile);

/** A CLI of ours with its own data folder; a run past `timeoutMs` is a failed attack. */
async function cli(
  name: string,
  args: string[],
  dataDir: string,
  timeoutMs = 60_000,
): Promise<CliOutcome> {
  const outcome = await runCli(name, dataDir, args, timeoutMs);
  if (outcome.signal) breach(`killed after ${timeoutMs} ms (${outcome.signal})`);
  return outcome;
}

/** Refused with a message naming `file`, and nothing installed. */
async function expectImportRefused(work: string, folder: string, file: RegExp): Promise<void> {
  const dataDir = path.join(work, `data-${path.basename(folder)}`);
  const outcome = await cli('models', ['import', folder, '--json'], dataDir);
  if (outcome.code === 0) breach(`imported: ${outcome.stdout.slice(0, 200)}`);
  if (![1, 2].includes(outcome.code))
    breach(`exit code ${outcome.code}: ${outcome.stderr.slice(-300)}`);
  if (!file.test(outcome.stderr))
    breach(`the error does not name the file: ${outcome.stderr.slice(-300)}`);
  if (/\n\s+at /.test(outcome.stderr)) breach('printed a stack trace');
  const installed = await readdir(path.join(dataDir, 'models')).catch(() => []);
  if (installed.length > 0) breach(`left ${installed.join(', ')} in the models folder`);
}

/** Writes JSON of `entries` token ids without building it in memory (the 238 MB vocab.json). */
async function writeHugeVocab(file: string, entries: number): Promise<void> {
  const out = createWriteStream(file);
  out.write('{');
  for (let i = 0; i < entries; i += 100_000) {
    let block = '';
    for (let j = i; j < Math.min(entries, i + 100_000); j++)
      block += `${j ? ',' : ''}"tok${j}</w>":${j}`;
    if (!out.write(block)) await once(out, 'drain');
  }
  out.end('}');
  await once(out, 'finish');
}

/** The text encoder with its first weight moved to external data at `location`. */
async function externalDataAt(file: string, location: string): Promise<void> {
  const model = onnx.ModelProto.decode(await readFile(file));
  const tensor = model.graph!.initializer!.find((t) => (t.rawData?.length ?? 0) > 0)!;
  const length = tensor.rawData!.length;
  tensor.rawData = new Uint8Array();
  tensor.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
  tensor.externalData = [
    { key: 'location', value: location },
    { key: 'offset', value: '0' },
    { key: 'length', value: String(length) },
  ];
  await writeFile(file, onnx.ModelProto.encode(model).finish());
}

export function fileAttacks(work: string, model: string): Attack[] {
  const family = 'model folders';
  /** A copy of the fixture model to spoil. */
  const copy = async (name: string) => {
    const dir = path.join(work, name);
    await cp(model, dir, { recursive: true });
    return dir;
  };
  const models: Attack[] = [
    {
      family,
      name: 'a 10-million-entry tokenizer/vocab.json (238 MB; hung import before)',
      run: async () => {
        const dir = await copy('huge-vocab');
        await writeHugeVocab(path.join(dir, 'tokenizer/vocab.json'), 10_000_000);
        await expectImportRefused(work, dir, /tokenizer\/vocab\.json.*larger than/);
        await rm(dir, { recursive: true, force: true });
      },
    },
    {
      family,
      name: 'a 100 MB model_index.json (imported after 24 s at 4.9 GB before)',
      run: async () => {
        const dir = await copy('huge-index');
        await writeFile(
          path.join(dir, 'model_index.json'),
          `{"padding":"${'x'.repeat(100_000_000)}"}`,
        );
        await expectImportRefused(work, dir, /model_index\.json is larger than 1 MiB/);
        await rm(dir, { recursive: true, force: true });
      },
    },
    {
      family,
      name: 'scheduler num_train_timesteps 1e12',
      run: async () => {
        const dir = await copy('huge-timesteps');
        const file = path.join(dir, 'scheduler/scheduler_config.json');
        const config = JSON.parse(await readFile(file, 'utf8')) as object;
        await writeFile(file, JSON.stringify({ ...config, num_train_timesteps: 1e12 }));
        await expectImportRefused(
          work,
          dir,
          /scheduler\/scheduler_config\.json.*num_train_timesteps/,
        );
      },
    },
    {
      family,
      name: 'a scheduler config that is an array',
      run: async () => {
        const dir = await copy('array-scheduler');
        await writeFile(path.join(dir, 'scheduler/scheduler_config.json'), '[1,2,3]');
        await expectImportRefused(work, dir, /scheduler_config\.json/);
      },
    },
    {
      family,
      name: 'ONNX external data pointing outside the folder',
      run: async () => {
        const dir = await copy('external-escape');
        await writeFile(path.join(work, 'outside.bin'), Buffer.alloc(1 << 20, 7));
        await externalDataAt(path.join(dir, 'text_encoder/model.onnx'), '../../outside.bin');
        await expectImportRefused(work, dir, /text_encoder\/model\.onnx/);
      },
    },
    {
      family,
      name: 'ONNX external data at an absolute path',
      run: async () => {
        const dir = await copy('external-absolute');
        await externalDataAt(
          path.join(dir, 'text_encoder/model.onnx'),
          path.join(work, 'outside.bin'),
        );
        await expectImportRefused(work, dir, /text_encoder\/model\.onnx/);
      },
    },
    {
      family,
      name: 'vocab.json replaced by a FIFO',
      run: async () => {
        const dir = await copy('fifo-vocab');
        await rm(path.join(dir, 'tokenizer/vocab.json'));
        await run('mkfifo', [path.join(dir, 'tokenizer/vocab.json')]);
        await expectImportRefused(work, dir, /tokenizer\/vocab\.json/);
      },
    },
    {
      family,
      name: 'merges.txt replaced by a folder',
      run: async () => {
        const dir = await copy('folder-merges');
        await rm(path.join(dir, 'tokenizer/merges.txt'));
        await mkdir(path.join(dir, 'tokenizer/merges.txt'));
        await expectImportRefused(work, dir, /tokenizer\/merges\.txt/);
      },
    },
    {
      family,
      name: 'a component that is a dangling symlink',
      run: async () => {
        const dir = await copy('dangling-link');
        await rm(path.join(dir, 'unet/model.onnx'));
        await symlink(path.join(work, 'no-such-file.onnx'), path.join(dir, 'unet/model.onnx'));
        await expectImportRefused(work, dir, /unet\/model\.onnx/);
      },
    },
    {
      family,
      name: 'the model folder is /dev',
      run: async () => expectImportRefused(work, '/dev', /\/dev/),
    },
  ];

  const photos: Attack[] = [
    [
      '/dev/zero (read 6.6 GB in 16 s before)',
      '/dev/zero',
      /cannot read photo \/dev\/zero: it is not a regular file/,
    ],
    ['a FIFO', path.join(work, 'photo.fifo'), /photo\.fifo: it is not a regular file/],
    ['a folder', work, /it is not a regular file/],
  ].map(([name, photo, message]) => ({
    family: 'photos that are not files',
    name: name as string,
    run: async () => {
      if ((photo as string).endsWith('.fifo'))
        await run('mkfifo', [photo as string]).catch(() => {});
      const outcome = await cli(
        'avatars',
        [
          '--model',
          model,
          '--photos',
          PORTRAITS[0]!,
          photo as string,
          PORTRAITS[1]!,
          '--styles',
          'anime',
          '--out',
          path.join(work, 'out'),
        ],
        path.join(work, 'data-photos'),
        30_000,
      );
      if (outcome.code !== 2) breach(`exit code ${outcome.code}: ${outcome.stderr.slice(-300)}`);
      if (!(message as RegExp).test(outcome.stderr))
        breach(`message: ${outcome.stderr.slice(-300)}`);
    },
  }));

  return [...models, ...photos, ...killedRuns(work, model)];
}

/**
 * The real avatar job started through npm (npm, sh, node), its whole process group SIGKILLed at
 * `afterLine`, and the privacy CLI run at once, as the probe did: the killed node may
 * still be a zombie. It must call the run crashed and leave no image and a sound database.
 */
function killedRuns(work: string, model: string): Attack[] {
  const points = ['avatar 1/', 'avatar 3/', 'avatar 6/'];
  return points.map((afterLine, i) => ({
    family: 'runs killed with SIGKILL',
    name: `process group killed at "${afterLine}", privacy status at once`,
    run: async () => {
      const dataDir = path.join(work, `data-killed-${i}`);
      const child = spawn(
        'npm',
        [
          'run',
          '--silent',
          'avatars',
          '--',
          '--model',
          model,
          '--photos',
          ...PORTRAITS,
          '--styles',
          'anime,clay',
          '--count',
          '12',
          '--size',
          '64',
          '--out',
          path.join(work, `out-killed-${i}`),
        ],
        {
          env: { ...process.env, AVATAR_STUDIO_DATA: dataDir },
          stdio: ['ignore', 'ignore', 'pipe'],
          detached: true,
        },
      );
      let seen = false;
      for await (const line of createInterface({ input: child.stderr })) {
        if (line.startsWith(afterLine)) {
          seen = true;
          break;
        }
      }
      if (!seen) breach('the job ended before the kill point');
      process.kill(-child.pid!, 'SIGKILL');
      const status = await cli('privacy', ['status', '--json'], dataDir);
      const { runs } = JSON.parse(status.stdout) as { runs: { status: string }[] };
      if (runs.some((r) => r.status === 'running')) breach('the killed run is still "running"');
      const left = await readdir(imagesDir(dataDir));
      if (left.length > 0) breach(`${left.length} image files of the killed run are left`);
      const check = integrityCheck(dataDir);
      if (check !== 'ok') breach(`integrity_check: ${String(check)}`);
    },
  }));
}
