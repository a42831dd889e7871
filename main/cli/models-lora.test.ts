/** `models import/list/verify/remove/install` with LoRAs, as a user runs them. */
import assert from 'node:assert/strict';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { REFERENCE_DIR } from '../testing/graphs/reference.ts';
import { serveFolder } from '../testing/model-server.ts';
import {
  labelledLora,
  loraWithMetadata,
  REFERENCE_LORA,
  writeLoraCatalogFor,
} from '../testing/models/loras.ts';
import { tempDataDir } from '../testing/store.ts';
import { models } from '../testing/cli.ts';

interface Row {
  kind: 'model' | 'lora';
  id: string;
  dir?: string;
  path?: string;
  base?: string;
}

async function listed(dataDir: string): Promise<Row[]> {
  const result = await models(dataDir, 'list', '--json');
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as Row[];
}

test('import, list, verify and remove a LoRA; the base check speaks at import', async (t) => {
  const dataDir = tempDataDir(t);
  const model = await models(
    dataDir,
    ...['import', path.join(REFERENCE_DIR, 'sd2-tiny/checkpoint.safetensors')],
    ...['--family', 'turbo', '--id', 'tiny-turbo', '--name', 'Tiny SD-Turbo', '--json'],
  );
  assert.equal(model.code, 0, model.stderr);
  const modelDir = (JSON.parse(model.stdout) as { dir: string }).dir;

  const plain = await models(dataDir, 'import', REFERENCE_LORA.sd1);
  assert.equal(plain.code, 0, plain.stderr);
  assert.equal(
    plain.stdout,
    'imported lora-kohya: LoRA, model line unknown (kohya, rank 4, 66 layers), 132.7 KB\n',
  );

  const clay = await labelledLora('sd1', path.join(dataDir, 'clay.safetensors'));
  const text = await models(dataDir, 'import', clay, '--id', 'clay', '--link');
  assert.equal(text.code, 0, text.stderr);
  assert.equal(
    text.stdout,
    'imported clay: LoRA for SD 1.x models (kohya, rank 4, 66 layers), 132.7 KB\n' +
      '  clay.safetensors is a LoRA for SD 1.x models; Tiny SD-Turbo is SD 2.x: styles using it will not run there\n',
  );
  const paper = await labelledLora('sd2', path.join(dataDir, 'paper.safetensors'));
  const json = await models(dataDir, 'import', paper, '--name', 'Paper cut', '--json');
  assert.equal(json.code, 0, json.stderr);
  const imported = JSON.parse(json.stdout) as Record<string, unknown>;
  assert.deepEqual(
    [imported.kind, imported.id, imported.name, imported.base, imported.format, imported.ranks],
    ['lora', 'paper', 'Paper cut', 'sd2', 'kohya', [4]],
  );
  assert.deepEqual(imported.misfits, []);
  assert.equal(imported.path, path.join(dataDir, 'loras', 'paper', 'lora.safetensors'));
  assert.deepEqual(await readFile(imported.path as string), await readFile(paper));

  // Models first, each as before with its dir; then LoRAs, each with its file's path.
  const rows = await listed(dataDir);
  assert.deepEqual(
    rows.map((r) => [r.kind, r.id, r.dir ?? r.path]),
    [
      ['model', 'tiny-turbo', modelDir],
      ['lora', 'lora-kohya', path.join(dataDir, 'loras', 'lora-kohya', 'lora.safetensors')],
      ['lora', 'clay', path.join(dataDir, 'loras', 'clay', 'lora.safetensors')],
      ['lora', 'paper', imported.path],
    ],
  );
  const list = await models(dataDir, 'list');
  assert.match(list.stdout, /^ {2}tiny-turbo +turbo +fp32 /m);
  assert.match(
    list.stdout,
    /^LoRAs:\n {2}lora-kohya +unknown +132\.7 KB {2}lora-kohya: LoRA, model line unknown/m,
  );
  assert.match(list.stdout, /^ {2}clay +sd1 +132\.7 KB {2}clay: LoRA for SD 1\.x models/m);

  const verified = await models(dataDir, 'verify', 'paper');
  assert.equal(verified.code, 0, verified.stderr);
  assert.equal(verified.stdout, "paper: the LoRA's file matches its install record\n");
  await appendFile(String(imported.path), 'tampered');
  const failed = await models(dataDir, 'verify', 'paper', '--json');
  assert.equal(failed.code, 1);
  assert.deepEqual(JSON.parse(failed.stdout), {
    id: 'paper',
    kind: 'lora',
    files: 1,
    problems: [{ path: 'lora.safetensors', problem: 'changed' }],
  });
  assert.match(failed.stderr, /paper failed verification: lora\.safetensors changed; reinstall it/);

  const removed = await models(dataDir, 'remove', 'paper');
  assert.equal(removed.code, 0, removed.stderr);
  assert.equal(removed.stdout, 'removed the LoRA paper\n');
  assert.deepEqual(
    (await listed(dataDir)).map((r) => r.id),
    ['tiny-turbo', 'lora-kohya', 'clay'],
  );
  const unknown = await models(dataDir, 'verify', 'paper');
  assert.equal(unknown.code, 1);
  assert.match(
    unknown.stderr,
    /no installed model or LoRA "paper" \(models: tiny-turbo; LoRAs: lora-kohya, clay\)/,
  );
  const taken = await models(dataDir, 'import', paper, '--id', 'tiny-turbo');
  assert.equal(taken.code, 1);
  assert.match(taken.stderr, /a model "tiny-turbo" is installed: models and LoRAs share ids/);
});

test('install of a catalogue LoRA from 127.0.0.1: licence, download, hashes, record', async (t) => {
  const dataDir = tempDataDir(t);
  const served = tempDataDir(t);
  await labelledLora('sd1', path.join(served, 'clay-v1.safetensors'));
  const server = await serveFolder(served);
  t.after(() => server.close());
  const catalog = path.join(dataDir, 'catalog.json');
  await writeLoraCatalogFor(catalog, 'clay-figure', served, 'clay-v1.safetensors', server.baseUrl, {
    base: 'sd1',
  });

  const installed = await models(dataDir, 'install', 'clay-figure', '--catalog', catalog);
  assert.equal(installed.code, 0, installed.stderr);
  assert.equal(
    installed.stdout,
    'licence: MIT\ninstalled clay-figure: LoRA for SD 1.x models (kohya, rank 4, 66 layers), 132.7 KB\n',
  );
  assert.match(installed.stderr, /100\.0% .* of .*ETA/);
  const [row] = await listed(dataDir);
  assert.deepEqual([row!.kind, row!.id, row!.base], ['lora', 'clay-figure', 'sd1']);
  assert.equal((await models(dataDir, 'verify', 'clay-figure')).code, 0);
  assert.equal((await models(dataDir, 'remove', 'clay-figure')).code, 0);
  assert.deepEqual(await listed(dataDir), []);
});

test('an SDXL LoRA, a broken file and model flags on a LoRA are refused; nothing installs', async (t) => {
  const dataDir = tempDataDir(t);
  const sdxl = await loraWithMetadata(REFERENCE_LORA.sd1, path.join(dataDir, 'xl.safetensors'), {
    ss_base_model_version: 'sdxl_base_v1-0',
  });
  const xl = await models(dataDir, 'import', sdxl);
  assert.equal(xl.code, 1);
  assert.match(xl.stderr, /xl\.safetensors is an SDXL LoRA; the app runs SD 1\.x and 2\.x models/);

  const broken = path.join(dataDir, 'broken.safetensors');
  await writeFile(broken, (await readFile(REFERENCE_LORA.sd1)).subarray(0, 4000));
  const bad = await models(dataDir, 'import', broken);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /broken\.safetensors/);

  const flags = await models(dataDir, 'import', REFERENCE_LORA.sd1, '--family', 'sd15');
  assert.equal(flags.code, 2, 'a usage error');
  assert.match(flags.stderr, /is a LoRA: --family and --precision are for models/);
  assert.deepEqual(await listed(dataDir), []);
});
