import assert from 'node:assert/strict';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { tempDataDir } from '../testing/store.ts';
import { checkLoraFitsModel, modelBase } from './lora-fit.ts';
import { importLora } from './loras.ts';
import type { InstalledModel } from './registry.ts';
import { importReferenceModel, labelledLora, REFERENCE_LORA } from '../testing/models/loras.ts';

describe('a LoRA against the line of a model', () => {
  let dataDir: string;
  let sd1: InstalledModel;
  let turbo: InstalledModel;
  // One data folder for the suite, removed after its last test.
  const cleanUps: (() => void)[] = [];
  after(() => cleanUps.forEach((fn) => fn()));
  before(async () => {
    dataDir = tempDataDir({ after: (fn) => cleanUps.push(fn) });
    // The tiny reference checkpoints, built as `models import` builds them: sd15 and turbo.
    sd1 = await importReferenceModel(dataDir, 'sd1', 'tiny-sd1');
    turbo = await importReferenceModel(dataDir, 'sd2', 'tiny-turbo');
  });

  test("a built model's line is read from its tokenizer; a config's width decides first", async () => {
    assert.equal(await modelBase(sd1.dir), 'sd1');
    assert.equal(await modelBase(turbo.dir), 'sd2');
    const folder = path.join(dataDir, 'export');
    await cp(path.join(sd1.dir, 'tokenizer'), path.join(folder, 'tokenizer'), { recursive: true });
    await mkdir(path.join(folder, 'text_encoder'));
    const config = (hidden_size: number) =>
      writeFile(path.join(folder, 'text_encoder', 'config.json'), JSON.stringify({ hidden_size }));
    await config(1024);
    assert.equal(await modelBase(folder), 'sd2', "OpenCLIP's width");
    await config(768);
    assert.equal(await modelBase(folder), 'sd1', "CLIP's width");
    await config(64);
    assert.equal(await modelBase(folder), 'sd1', 'a width of neither line: the tokenizer decides');
    assert.equal(await modelBase(path.join(dataDir, 'nowhere')), undefined);
  });

  test('an SD 1.x LoRA on SD-Turbo is refused with one sentence; the right line passes', async () => {
    const cases = [
      ['clay', 'sd1', turbo, sd1, 'SD 1.x models; Tiny SD-Turbo is SD 2.x'],
      ['paper', 'sd2', sd1, turbo, 'SD 2.x models; Tiny SD 1.x is SD 1.x'],
    ] as const;
    for (const [name, base, other, same, message] of cases) {
      const { manifest } = await importLora({
        dataDir,
        source: await labelledLora(base, path.join(dataDir, `${name}.safetensors`)),
      });
      assert.equal(
        await checkLoraFitsModel(manifest, other.dir),
        `${name}.safetensors is a LoRA for ${message}`,
      );
      assert.equal(await checkLoraFitsModel(manifest, same.dir), undefined);
    }
  });

  test("a LoRA whose line is unknown is left to the engine's shape check", async () => {
    const plain = await importLora({ dataDir, source: REFERENCE_LORA.sd1, id: 'plain' });
    assert.equal(plain.manifest.base, 'unknown');
    assert.equal(await checkLoraFitsModel(plain.manifest, turbo.dir), undefined);
  });
});
