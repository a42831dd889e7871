import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { readLoraManifest } from './loras.ts';
import { importedManifest, MANIFEST_FILE, readManifest, writeManifest } from './manifest.ts';

const root = await mkdtemp(path.join(tmpdir(), 'manifest-'));
after(() => rm(root, { recursive: true, force: true }));

async function folderWith(name: string, text: string): Promise<string> {
  const dir = await mkdtemp(path.join(root, 'model-'));
  await writeFile(path.join(dir, name), text);
  return dir;
}

const sample = importedManifest({
  id: 'my-model',
  name: 'My model',
  family: 'turbo',
  precision: 'fp32',
  origin: '/somewhere',
  files: [{ path: 'unet/model.onnx', size: 3, sha256: 'a'.repeat(64) }],
});

describe('install records', () => {
  it('reads back what it wrote', async () => {
    const dir = await mkdtemp(path.join(root, 'model-'));
    await writeManifest(dir, sample);
    assert.deepEqual(await readManifest(dir), sample);
  });

  it('refuses null, an array or a wrong field as MANIFEST_INVALID naming the file and field', async () => {
    const cases: [string, RegExp][] = [
      ['null', /is not a model manifest$/],
      ['[]', /is not a model manifest$/],
      [
        JSON.stringify({ ...sample, family: 'sdxl' }),
        /\(family: must be one of turbo, sd15, lcm\)/,
      ],
      [JSON.stringify({ ...sample, files: [null] }), /\(files\.0: /],
      [
        JSON.stringify({ ...sample, files: [{ ...sample.files[0], sha256: 'x' }] }),
        /\(files\.0\.sha256: must be 64 lowercase hex digits\)/,
      ],
      ['{"formatVersion": 1,', /is unreadable: /],
    ];
    for (const [text, message] of cases) {
      const dir = await folderWith(MANIFEST_FILE, text);
      await assert.rejects(readManifest(dir), (error: Error & { code?: string }) => {
        assert.equal(error.code, 'MANIFEST_INVALID', text);
        assert.ok(error.message.startsWith(path.join(dir, MANIFEST_FILE)), error.message);
        assert.match(error.message, message);
        return true;
      });
    }
  });

  it('refuses a model manifest where a LoRA record belongs', async () => {
    const dir = await folderWith('avatar-studio-lora.json', JSON.stringify(sample));
    await assert.rejects(readLoraManifest(dir), /is not a LoRA record \(kind: /);
  });
});
