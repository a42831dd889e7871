import assert from 'node:assert/strict';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Catalog } from '../models/catalog.ts';
import { importLora } from '../models/loras.ts';
import type { InstalledModel } from '../models/registry.ts';
import {
  importReferenceModel,
  labelledLora,
  loraEntry,
  REFERENCE_LORA,
} from '../testing/models/loras.ts';
import { tempDataDir } from '../testing/store.ts';
import { writeSafetensors } from '../testing/weights.ts';
import { readStyleCatalog, styleSettings, stylePrompt } from './catalog.ts';
import { StyleError } from './errors.ts';
import { resolveStyleLora, styleLoraStatus } from './lora.ts';
import type { Style } from './types.ts';
import { validateCatalog } from './validate.ts';

const SETTINGS = {
  turbo: { strength: 0.5, steps: 2, guidance: 0, scheduler: 'euler' },
  sd15: { strength: 0.5, steps: 20, guidance: 7, scheduler: 'ddim' },
  lcm: { strength: 0.5, steps: 4, guidance: 7, scheduler: 'lcm' },
};

/** A style entry as models/styles.json writes one, with `extra` fields. */
function entry(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    name: id,
    description: 'A test style.',
    prompt: 'clay figure of a person',
    negativePrompt: 'blurry',
    previewFile: `previews/${id}.webp`,
    settings: SETTINGS,
    ...extra,
  };
}

/** The styles of a catalogue at `file` holding `entries`, validated. */
const validate = (file: string, ...entries: Record<string, unknown>[]): Style[] =>
  validateCatalog({ styles: entries }, file);

describe('a style that names a LoRA', () => {
  const file = path.join(path.sep, 'catalogue', 'styles.json');

  test('an installed id or a file (beside the catalogue or absolute), scale 1 by default', () => {
    const [byId, byFile, absolute, plain] = validate(
      file,
      entry('clay', { lora: { id: 'clay-figure' }, triggerWords: [' clayfig ', 'claymation'] }),
      entry('paper', { lora: { file: 'loras/paper.safetensors', scale: 0.8 } }),
      entry('ink', { lora: { file: '/opt/loras/ink.SAFETENSORS', scale: -1 } }),
      entry('plain'),
    );
    assert.deepEqual(byId!.lora, { id: 'clay-figure', scale: 1 });
    assert.deepEqual(byId!.triggerWords, ['clayfig', 'claymation']);
    assert.deepEqual(byFile!.lora, {
      file: 'loras/paper.safetensors',
      path: path.resolve(path.dirname(file), 'loras/paper.safetensors'),
      scale: 0.8,
    });
    assert.equal(
      (absolute!.lora as { path: string }).path,
      path.resolve('/opt/loras/ink.SAFETENSORS'),
    );
    assert.equal(plain!.lora, undefined);
    assert.equal('triggerWords' in plain!, false);
  });

  const refusals: [string, Record<string, unknown>, string][] = [
    ['a LoRA that is not an object', { lora: 'clay.safetensors' }, 'lora'],
    ['both an id and a file', { lora: { id: 'clay', file: 'clay.safetensors' } }, 'lora'],
    ['neither an id nor a file', { lora: { scale: 1 } }, 'lora'],
    ['an unknown LoRA field', { lora: { id: 'clay', weight: 1 } }, 'lora.weight'],
    ['a scale past 4', { lora: { id: 'clay', scale: 5 } }, 'lora.scale'],
    ['a scale as text', { lora: { id: 'clay', scale: '1' } }, 'lora.scale'],
    ['an id that is no id', { lora: { id: 'Clay Figure' } }, 'lora.id'],
    ['a pickle', { lora: { file: 'clay.ckpt' } }, 'lora.file'],
    ['an empty file name', { lora: { file: ' ' } }, 'lora.file'],
    ['trigger words without a LoRA', { triggerWords: ['clayfig'] }, 'triggerWords'],
    ['no trigger words', { lora: { id: 'clay' }, triggerWords: [] }, 'triggerWords'],
    [
      'a trigger word with a comma',
      { lora: { id: 'clay' }, triggerWords: ['a, b'] },
      'triggerWords',
    ],
    [
      'a trigger word that is not text',
      { lora: { id: 'clay' }, triggerWords: [3] },
      'triggerWords',
    ],
  ];
  for (const [what, extra, field] of refusals) {
    test(`${what} is refused, naming the style and ${field}`, () => {
      assert.throws(
        () => validate(file, entry('fine'), entry('clay-style', extra)),
        (error: unknown) => {
          assert.ok(error instanceof StyleError, String(error));
          assert.equal(error.code, 'STYLE_CATALOG_INVALID');
          assert.deepEqual([error.style, error.field], ['clay-style', field]);
          assert.ok(error.message.includes(`style "clay-style", ${field}:`), error.message);
          return true;
        },
      );
    });
  }

  test('trigger words go before the prompt, as LoRA trainers caption', () => {
    const [clay, plain] = validate(
      file,
      entry('clay', { lora: { id: 'clay' }, triggerWords: ['clayfig', 'claymation'] }),
      entry('plain'),
    );
    assert.equal(stylePrompt(clay!), 'clayfig, claymation, clay figure of a person');
    assert.equal(
      styleSettings(clay!, 'turbo').prompt,
      'clayfig, claymation, clay figure of a person',
    );
    assert.equal(styleSettings(plain!, 'sd15').prompt, 'clay figure of a person');
  });
});

describe('resolving a style’s LoRA for a run', () => {
  let dataDir: string;
  let turbo: InstalledModel;
  let styles: Style[];
  const catalog: Catalog = {
    file: 'catalog.json',
    entries: [
      loraEntry({
        id: 'clay-figure',
        file: 'clay.safetensors',
        size: 1,
        sha256: 'a'.repeat(64),
        baseUrl: 'http://127.0.0.1/',
      }),
    ],
  };
  const cleanUps: (() => void)[] = [];
  after(() => cleanUps.forEach((fn) => fn()));
  before(async () => {
    dataDir = tempDataDir({ after: (fn) => cleanUps.push(fn) });
    turbo = await importReferenceModel(dataDir, 'sd2', 'tiny-turbo');
    await importLora({
      dataDir,
      source: await labelledLora('sd1', path.join(dataDir, 'clay.safetensors')),
      id: 'clay',
    });
    await importLora({ dataDir, source: REFERENCE_LORA.sd2, id: 'paper' });
    // A styles file of its own, with LoRA files beside it.
    const folder = path.join(dataDir, 'styles');
    await mkdir(path.join(folder, 'loras'), { recursive: true });
    await copyFile(REFERENCE_LORA.sd2, path.join(folder, 'loras', 'ink.safetensors'));
    const notLora = writeSafetensors(
      { after: (fn) => cleanUps.push(fn) },
      {
        'model.diffusion_model.conv_in.weight': { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
      },
      Buffer.alloc(4),
    );
    const styleFile = path.join(folder, 'styles.json');
    const json = {
      styles: [
        entry('clay', { lora: { id: 'clay', scale: 0.7 }, triggerWords: ['clayfig'] }),
        entry('paper', { lora: { id: 'paper' } }),
        entry('missing', { lora: { id: 'clay-figure' } }),
        entry('unlisted', { lora: { id: 'pottery' } }),
        entry('ink', { lora: { file: 'loras/ink.safetensors', scale: 1.5 } }),
        entry('gone', { lora: { file: 'loras/gone.safetensors' } }),
        entry('checkpoint', { lora: { file: notLora } }),
        entry('plain'),
      ],
    };
    await writeFile(styleFile, JSON.stringify(json));
    styles = [...(await readStyleCatalog(styleFile)).styles];
  });
  const style = (id: string) => styles.find((s) => s.id === id)!;

  test('an installed id resolves to its file and scale', async () => {
    assert.deepEqual(await resolveStyleLora(style('clay'), { dataDir }), {
      path: path.join(dataDir, 'loras', 'clay', 'lora.safetensors'),
      scale: 0.7,
    });
    assert.equal(await resolveStyleLora(style('plain'), { dataDir }), undefined);
  });

  test('a missing id says how to install it, never throwing', async () => {
    assert.deepEqual(await resolveStyleLora(style('missing'), { dataDir, catalog }), {
      reason: "LoRA 'clay-figure' is not installed: npm run models -- install clay-figure",
      problem: { kind: 'not-installed', install: 'npm run models -- install clay-figure' },
    });
    assert.deepEqual(await resolveStyleLora(style('unlisted'), { dataDir, catalog }), {
      reason:
        "LoRA 'pottery' is not installed: import its file with npm run models -- import FILE.safetensors --id pottery",
      problem: {
        kind: 'not-installed',
        install: 'npm run models -- import FILE.safetensors --id pottery',
      },
    });
    // The shipped catalogue lists no LoRA of that id either.
    assert.match(
      ((await resolveStyleLora(style('missing'), { dataDir })) as { reason: string }).reason,
      /import FILE\.safetensors --id clay-figure/,
    );
  });

  test('a file beside the styles file resolves; a missing one or a non-LoRA gives the reason', async () => {
    assert.deepEqual(await resolveStyleLora(style('ink'), { dataDir }), {
      path: path.join(dataDir, 'styles', 'loras', 'ink.safetensors'),
      scale: 1.5,
    });
    assert.deepEqual(await resolveStyleLora(style('gone'), { dataDir }), {
      reason: `LoRA file ${path.join(dataDir, 'styles', 'loras', 'gone.safetensors')} does not exist`,
      problem: { kind: 'file-missing' },
    });
    const checkpoint = (await resolveStyleLora(style('checkpoint'), { dataDir })) as {
      reason: string;
      problem: { kind: string; detail: string };
    };
    assert.match(checkpoint.reason, /model\.safetensors is not a LoRA/);
    // The same for the app, told apart, without the file's folder.
    assert.equal(checkpoint.problem.kind, 'unusable');
    assert.match(checkpoint.problem.detail, /^model\.safetensors is not a LoRA/);
    assert.ok(!checkpoint.problem.detail.includes(path.sep), checkpoint.problem.detail);
  });

  test('on a model of the other line the reason is the base check’s sentence', async () => {
    const misfit = 'clay.safetensors is a LoRA for SD 1.x models; Tiny SD-Turbo is SD 2.x';
    assert.deepEqual(await resolveStyleLora(style('clay'), { dataDir, modelDir: turbo.dir }), {
      reason: misfit,
      problem: { kind: 'misfit', detail: misfit },
    });
    // A LoRA whose line its file does not tell runs: the engine checks its shapes.
    assert.deepEqual(await resolveStyleLora(style('paper'), { dataDir, modelDir: turbo.dir }), {
      path: path.join(dataDir, 'loras', 'paper', 'lora.safetensors'),
      scale: 1,
    });
  });

  test('the style card’s status: which LoRA, its scale, and whether it can run', async () => {
    assert.deepEqual(await styleLoraStatus(style('clay'), { dataDir }), {
      lora: { id: 'clay', scale: 0.7, available: true },
    });
    assert.deepEqual(await styleLoraStatus(style('missing'), { dataDir, catalog }), {
      lora: {
        id: 'clay-figure',
        scale: 1,
        available: false,
        reason: "LoRA 'clay-figure' is not installed: npm run models -- install clay-figure",
        problem: { kind: 'not-installed', install: 'npm run models -- install clay-figure' },
      },
    });
    assert.deepEqual(await styleLoraStatus(style('ink'), { dataDir, modelDir: turbo.dir }), {
      lora: { file: 'ink.safetensors', scale: 1.5, available: true },
    });
    assert.deepEqual(await styleLoraStatus(style('plain'), { dataDir }), {});
  });
});
