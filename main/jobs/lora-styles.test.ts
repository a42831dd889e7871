/**
 * LoRA styles through the whole job, on a model built from real weights (the tiny SD 2.x
 * reference checkpoint) with its reference kohya LoRA installed: each avatar runs with its own
 * style's LoRA, on one set of sessions, and a style's LoRA never leaks into another style.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { REFERENCE_DIR } from '../testing/graphs/reference.ts';
import { photo } from '../testing/photos.ts';
import { buildFromCheckpoint } from '../models/from-weights/build-folder.ts';
import { importLora } from '../models/loras.ts';
import { loadStyleCatalog } from '../styles/catalog.ts';
import { writeStylesFile } from '../testing/styles.ts';
import { openStore, type Store } from '../store/index.ts';
import { JobError } from './errors.ts';
import { loadJobResources, type JobResources } from './resources.ts';
import { runAvatars } from './run-avatars.ts';
import type { AvatarRunResult } from './types.ts';

const PHOTOS = [
  'portraits/sample1-face1.jpg',
  'portraits/sample2-face2.jpg',
  'portraits/sample3-face1.jpg',
].map(photo);

let work: string;
let modelDir: string;
let resources: JobResources;
let store: Store;

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'lora-styles-'));
  modelDir = path.join(work, 'model');
  await buildFromCheckpoint(path.join(REFERENCE_DIR, 'sd2-tiny/checkpoint.safetensors'), modelDir, {
    family: 'turbo',
  });
  store = openStore({ dataDir: path.join(work, 'data'), sweepOnTimer: false });
  store.updateSettings({ dailyRunLimit: 100 });
  await importLora({
    dataDir: store.dataDir,
    source: path.join(REFERENCE_DIR, 'sd2-tiny/lora-kohya.safetensors'),
    id: 'tiny-clay',
  });
  resources = await loadJobResources({ modelDir, provider: 'cpu', store });
});
after(async () => {
  await resources.engine.close();
  store.close();
  await rm(work, { recursive: true, force: true });
});

/** A styles file of two catalogue styles, the first given `lora`. */
function stylesWith(name: string, lora: unknown): Promise<string> {
  const first = lora ? { lora, triggerWords: ['clay figure'] } : {};
  return writeStylesFile(path.join(work, name), [first, {}]);
}

async function run(stylesFile: string): Promise<{ result: AvatarRunResult; pixels: Buffer[] }> {
  const styles = await loadStyleCatalog(stylesFile);
  const result = await runAvatars(
    { ...resources, styles },
    {
      photos: PHOTOS,
      styleIds: styles.styles.map((s) => s.id),
      count: 4,
      seed: 7,
      size: 64,
      source: 'cli',
    },
  );
  const byIndex = [...result.avatars].sort((a, b) => a.index - b.index);
  return { result, pixels: byIndex.map((a) => store.readImage(a.fileId)) };
}

test('each avatar runs with its own style’s LoRA; the other style’s avatars are the base model’s', async () => {
  const plain = await run(await stylesWith('plain', undefined));
  const styled = await run(await stylesWith('lora', { id: 'tiny-clay', scale: 0.8 }));
  assert.equal(styled.pixels.length, 4);
  // Styles take turns: avatars 0 and 2 are the LoRA style's, 1 and 3 the other's.
  const [loraStyle] = styled.result.avatars.filter((a) => a.index === 0).map((a) => a.styleId);
  assert.ok(
    styled.result.avatars.filter((a) => a.index % 2 === 0).every((a) => a.styleId === loraStyle),
  );
  for (const i of [0, 2]) assert.notDeepEqual(styled.pixels[i], plain.pixels[i], `avatar ${i}`);
  for (const i of [1, 3]) assert.deepEqual(styled.pixels[i], plain.pixels[i], `avatar ${i}`);
});

test('a style whose LoRA is not installed refuses the run before it starts, naming it', async () => {
  const usedBefore = store.quota().used;
  await assert.rejects(
    run(await stylesWith('missing', { id: 'not-here', scale: 1 })),
    (error: unknown) =>
      error instanceof JobError &&
      error.code === 'BAD_REQUEST' &&
      /cannot run: LoRA 'not-here' is not installed/.test(error.message),
  );
  assert.equal(store.quota().used, usedBefore, 'no run started, no quota taken');
});
