/**
 * styles:list with styles that name LoRAs: the real reference LoRA installed, one missing, one of
 * the other model line, one whose file has gone; each as the picker shows it, and never a path.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { StyleSummary } from '../api/contract.ts';
import { importLora } from '../models/loras.ts';
import { importReferenceModel, labelledLora, REFERENCE_LORA } from '../testing/models/loras.ts';
import { tempDataDir } from '../testing/store.ts';
import { writeStylesFile } from '../testing/styles.ts';
import type { AppService } from './app-service.ts';
import { createAppService } from './create-app-service.ts';

const cleanUps: (() => void)[] = [];
after(() => cleanUps.forEach((fn) => fn()));
const temp = () => tempDataDir({ after: (fn) => cleanUps.push(fn) });

/** The catalogue's first five styles: four with a LoRA, the last without. */
const CHANGES = [
  { name: 'Clay LoRA', lora: { id: 'tiny-clay', scale: 0.8 }, triggerWords: ['clayfig'] },
  { name: 'Missing LoRA', lora: { id: 'clay-figure' } },
  { name: 'Other line', lora: { id: 'sd1-clay', scale: 1.5 } },
  { name: 'Lost file', lora: { id: 'lost' } },
  {},
];

/** A service on its own data folder and styles file, with the LoRAs above as they should be. */
async function serviceWithLoras(): Promise<{ service: AppService; dataDir: string }> {
  const dataDir = temp();
  await importLora({ dataDir, source: REFERENCE_LORA.sd2, id: 'tiny-clay' });
  const sd1 = await labelledLora('sd1', path.join(temp(), 'sd1-clay.safetensors'));
  await importLora({ dataDir, source: sd1, id: 'sd1-clay' });
  const lost = await importLora({ dataDir, source: REFERENCE_LORA.sd2, id: 'lost' });
  await rm(lost.path);
  const styles = await writeStylesFile(temp(), CHANGES);
  return { service: await createAppService({ dataDir, styles, size: 64 }), dataDir };
}

const byName = (styles: StyleSummary[], name: string) => styles.find((s) => s.name === name)!;

describe('styles:list with LoRA styles, no model yet', () => {
  let service: AppService;
  let dataDir: string;
  let styles: StyleSummary[];
  before(async () => {
    ({ service, dataDir } = await serviceWithLoras());
    styles = await service.handlers['styles:list']({});
  });
  after(() => service.close());

  test('an installed LoRA: its id and scale, available, with its trigger words', () => {
    assert.deepEqual(styles.length, CHANGES.length);
    const clay = byName(styles, 'Clay LoRA');
    assert.deepEqual(clay.lora, { name: 'tiny-clay', scale: 0.8, available: true });
    assert.deepEqual(clay.triggerWords, ['clayfig']);
    assert.deepEqual(clay.preview, { kind: 'style', id: clay.id });
  });

  const unavailable: [string, string, string][] = [
    [
      'Missing LoRA',
      'clay-figure',
      "Needs the LoRA 'clay-figure', which is not installed. To install it, run: npm run models -- import FILE.safetensors --id clay-figure",
    ],
    [
      'Lost file',
      'lost',
      "Needs the LoRA 'lost', whose file is missing. Remove it and install it again: npm run models -- remove lost",
    ],
  ];
  for (const [style, name, reason] of unavailable) {
    test(`${style}: unavailable, why in the app’s words, with the command that fixes it`, () => {
      assert.deepEqual(byName(styles, style).lora, { name, scale: 1, available: false, reason });
    });
  }

  test('with no model the line is not checked; a style without a LoRA has neither field', () => {
    assert.equal(byName(styles, 'Other line').lora?.available, true);
    const plain = styles.at(-1)!;
    assert.equal('lora' in plain, false);
    assert.equal('triggerWords' in plain, false);
  });

  test('nothing listed names a path', () => {
    const text = JSON.stringify(styles);
    assert.ok(!text.includes(dataDir), text);
    assert.ok(!text.includes(path.sep), text);
  });
});

describe('styles:list for the model the next run uses', () => {
  let service: AppService;
  let styles: StyleSummary[];
  before(async () => {
    const created = await serviceWithLoras();
    service = created.service;
    // The first model installed is the default: SD 2.x, so the SD 1.x LoRA does not fit.
    await importReferenceModel(created.dataDir, 'sd2', 'tiny-turbo');
    styles = await service.handlers['styles:list']({});
  });
  after(() => service.close());

  test('a LoRA of the other model line is unavailable, saying so', () => {
    assert.deepEqual(byName(styles, 'Other line').lora, {
      name: 'sd1-clay',
      scale: 1.5,
      available: false,
      reason:
        "Needs the LoRA 'sd1-clay', which does not fit the current model: sd1-clay.safetensors is a LoRA for SD 1.x models; Tiny SD-Turbo is SD 2.x",
    });
    // One whose line its file does not tell runs: the engine's shape check decides.
    assert.equal(byName(styles, 'Clay LoRA').lora?.available, true);
  });

  test('a run with an unavailable style is refused before it starts, naming the style', async () => {
    const missing = byName(styles, 'Missing LoRA');
    await assert.rejects(
      service.handlers['runs:start']({ photos: [], styleIds: [missing.id], count: 1 }),
      (error: unknown) => {
        const shape = (error as { toJSON(): { code: string; message: string } }).toJSON();
        assert.equal(shape.code, 'BAD_REQUEST', shape.message);
        assert.match(shape.message, /^style "Missing LoRA" cannot run: LoRA 'clay-figure'/);
        return true;
      },
    );
  });
});
