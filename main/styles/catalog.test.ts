import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { scheduledFor } from '../engine/pipeline.ts';
import { ClipTokenizer } from '../engine/tokenizer/clip-tokenizer.ts';
import { DEFAULT_CATALOG_FILE, loadStyleCatalog, pickStyles, styleSettings } from './catalog.ts';
import { StyleError, type StyleErrorCode } from './errors.ts';
import { MODEL_FAMILIES, type StyleCatalog } from './types.ts';

const TOKENIZER = fileURLToPath(new URL('../../models/clip-tokenizer', import.meta.url));
const TURBO_SCHEDULER = new URL('../../models/schedulers/turbo.json', import.meta.url);

describe('the shipped catalogue', () => {
  let catalog: StyleCatalog;
  before(async () => {
    catalog = await loadStyleCatalog();
  });

  test('loads from any working directory with at least 12 distinct styles', () => {
    assert.equal(catalog.file, DEFAULT_CATALOG_FILE);
    assert.ok(catalog.styles.length >= 12, `${catalog.styles.length} styles`);
    for (const key of ['id', 'name', 'prompt', 'previewFile'] as const) {
      const values = catalog.styles.map((style) => style[key]);
      assert.equal(new Set(values).size, values.length, `every style has its own ${key}`);
    }
  });

  test('every style has text and settings for all three model families', () => {
    for (const style of catalog.styles) {
      assert.match(style.prompt, /\ba person\b/, `${style.id}: the subject is "a person"`);
      assert.ok(style.description.length > 0 && style.negativePrompt.length > 0, style.id);
      assert.deepEqual(Object.keys(style.settings).sort(), [...MODEL_FAMILIES].sort());
    }
  });

  test('each family is tuned within its own regime', () => {
    for (const style of catalog.styles) {
      const { turbo, sd15, lcm } = style.settings;
      assert.ok(turbo.guidance === 0 && turbo.steps <= 4 && turbo.scheduler === 'euler', style.id);
      assert.ok(sd15.steps >= 20 && sd15.steps <= 30 && sd15.guidance >= 6, style.id);
      assert.ok(sd15.strength >= 0.45 && sd15.strength <= 0.65, style.id);
      assert.ok(lcm.steps >= 4 && lcm.steps <= 6 && lcm.scheduler === 'lcm', style.id);
    }
  });

  test('every turbo style is one UNet call, as SD-Turbo img2img is meant to run', async () => {
    const config: unknown = JSON.parse(await readFile(TURBO_SCHEDULER, 'utf8'));
    for (const style of catalog.styles) {
      assert.equal(scheduledFor(style.settings.turbo, config).timesteps.length, 1, style.id);
    }
  });

  test('no strength is silently lost to img2img rounding down floor(steps × strength)', () => {
    for (const style of catalog.styles) {
      for (const family of ['turbo', 'sd15'] as const) {
        const { steps, strength } = style.settings[family];
        const effective = Math.floor(steps * strength) / steps;
        assert.ok(strength - effective < 0.02, `${style.id}/${family}: runs ${effective}`);
      }
    }
  });

  test('prompts fit inside CLIP’s 77-token window, so nothing is cut off', async () => {
    const tokenizer = await ClipTokenizer.fromFolder(TOKENIZER);
    for (const style of catalog.styles) {
      for (const text of [style.prompt, style.negativePrompt]) {
        // encode truncates to 75 tokens; an end token before the last slot means it all fitted.
        const end = tokenizer.encode(text).indexOf(tokenizer.eosId, 1);
        assert.ok(end < tokenizer.maxLength - 1, `${style.id}: "${text}" is too long`);
      }
    }
  });
});

describe('pickStyles', () => {
  let catalog: StyleCatalog;
  before(async () => {
    catalog = await loadStyleCatalog();
  });

  test('returns the chosen styles in the order asked', () => {
    const picked = pickStyles(catalog, ['pixel-art', 'anime']);
    assert.deepEqual(
      picked.map((style) => style.id),
      ['pixel-art', 'anime'],
    );
  });

  const refusals: [string, () => string[], StyleErrorCode, RegExp][] = [
    ['no style', () => [], 'NO_STYLE', /at least one/],
    [
      'six styles',
      () => catalog.styles.slice(0, 6).map((s) => s.id),
      'TOO_MANY_STYLES',
      /at most 5/,
    ],
    ['a repeated id', () => ['anime', 'clay', 'anime'], 'DUPLICATE_STYLE', /"anime"/],
    ['an unknown id', () => ['anime', 'vaporwave'], 'UNKNOWN_STYLE', /"vaporwave".*known: .*anime/],
  ];
  for (const [what, ids, code, message] of refusals) {
    test(`refuses ${what}`, () => {
      assert.throws(
        () => pickStyles(catalog, ids()),
        (error: unknown) =>
          error instanceof StyleError && error.code === code && message.test(error.message),
      );
    });
  }

  test('an unknown id is named in the error’s subject', () => {
    assert.throws(
      () => pickStyles(catalog, ['vaporwave']),
      (error: unknown) => error instanceof StyleError && error.style === 'vaporwave',
    );
  });
});

test('styleSettings gives the engine request fields for the family', async () => {
  const catalog = await loadStyleCatalog();
  const [style] = pickStyles(catalog, ['watercolour']);
  for (const family of MODEL_FAMILIES) {
    assert.deepEqual(styleSettings(style!, family), {
      prompt: style!.prompt,
      negativePrompt: style!.negativePrompt,
      ...style!.settings[family],
    });
  }
});

describe('validation at start-up', () => {
  let dir: string;
  let original: { styles: Record<string, unknown>[] };
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'styles-'));
    await cp(
      path.join(path.dirname(DEFAULT_CATALOG_FILE), 'previews'),
      path.join(dir, 'previews'),
      {
        recursive: true,
      },
    );
    original = JSON.parse(await readFile(DEFAULT_CATALOG_FILE, 'utf8'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  /** Writes a copy of the catalogue with one change to its second style and loads it. */
  async function loadWith(change: (style: Record<string, unknown>) => void): Promise<unknown> {
    const json = structuredClone(original);
    change(json.styles[1]!);
    const file = path.join(dir, 'styles.json');
    await writeFile(file, JSON.stringify(json));
    return loadStyleCatalog(file).then(
      () => assert.fail('the catalogue loaded'),
      (error: unknown) => error,
    );
  }
  const family = (style: Record<string, unknown>, name: string): Record<string, unknown> =>
    (style.settings as Record<string, Record<string, unknown>>)[name]!;

  const cases: [string, (style: Record<string, unknown>) => void, string, string?][] = [
    ['a missing name', (s) => delete s.name, 'name'],
    ['an empty prompt', (s) => (s.prompt = '  '), 'prompt'],
    ['a numeric description', (s) => (s.description = 3), 'description'],
    ['a negative prompt that is not text', (s) => (s.negativePrompt = null), 'negativePrompt'],
    ['an id with capitals', (s) => (s.id = 'Oil Painting'), 'id', 'Oil Painting'],
    ['an id used twice', (s) => (s.id = 'studio-portrait'), 'id', 'studio-portrait'],
    ['an unknown field', (s) => (s.strenght = 0.5), 'strenght'],
    ['a missing preview', (s) => (s.previewFile = 'previews/missing.webp'), 'previewFile'],
    ['a preview outside the folder', (s) => (s.previewFile = '../x.webp'), 'previewFile'],
    ['a missing family', (s) => delete (s.settings as Record<string, unknown>).lcm, 'settings.lcm'],
    [
      'an unknown family',
      (s) => ((s.settings as Record<string, unknown>).sdxl = {}),
      'settings.sdxl',
    ],
    ['strength 0', (s) => (family(s, 'sd15').strength = 0), 'settings.sd15.strength'],
    ['strength above 1', (s) => (family(s, 'turbo').strength = 1.2), 'settings.turbo.strength'],
    ['strength as text', (s) => (family(s, 'lcm').strength = '0.5'), 'settings.lcm.strength'],
    ['fractional steps', (s) => (family(s, 'sd15').steps = 20.5), 'settings.sd15.steps'],
    ['zero steps', (s) => (family(s, 'turbo').steps = 0), 'settings.turbo.steps'],
    ['negative guidance', (s) => (family(s, 'sd15').guidance = -1), 'settings.sd15.guidance'],
    [
      'an unknown scheduler',
      (s) => (family(s, 'sd15').scheduler = 'dpm++'),
      'settings.sd15.scheduler',
    ],
    [
      'LCM sampling a turbo model',
      (s) => (family(s, 'turbo').scheduler = 'lcm'),
      'settings.turbo.scheduler',
    ],
    [
      'an LCM model on DDIM',
      (s) => (family(s, 'lcm').scheduler = 'ddim'),
      'settings.lcm.scheduler',
    ],
    [
      'steps × strength below 1',
      (s) => Object.assign(family(s, 'sd15'), { steps: 1, strength: 0.5 }),
      'settings.sd15.steps',
    ],
    [
      'both steps and timesteps',
      (s) => Object.assign(family(s, 'sd15'), { timesteps: [499] }),
      'settings.sd15.steps',
    ],
    ['neither steps nor timesteps', (s) => delete family(s, 'sd15').steps, 'settings.sd15.steps'],
    [
      'timesteps with DDIM',
      (s) => Object.assign(family(s, 'sd15'), { steps: undefined, timesteps: [499] }),
      'settings.sd15.timesteps',
    ],
    [
      'rising timesteps',
      (s) => (family(s, 'turbo').timesteps = [249, 749]),
      'settings.turbo.timesteps',
    ],
    ['timestep 1000', (s) => (family(s, 'turbo').timesteps = [1000]), 'settings.turbo.timesteps'],
    [
      'timesteps the strength trims to none',
      (s) => (family(s, 'turbo').strength = 0.5),
      'settings.turbo.timesteps',
    ],
    [
      'more LCM steps than floor(50 × strength)',
      (s) => Object.assign(family(s, 'lcm'), { steps: 6, strength: 0.1 }),
      'settings.lcm.steps',
    ],
  ];
  for (const [what, change, field, style] of cases) {
    test(`${what} is refused, naming the style and ${field}`, async () => {
      const error = await loadWith(change);
      const expectedStyle = style ?? (original.styles[1]!.id as string);
      assert.ok(error instanceof StyleError, String(error));
      assert.equal(error.code, 'STYLE_CATALOG_INVALID');
      assert.equal(error.style, expectedStyle);
      assert.equal(error.field, field);
      assert.ok(
        error.message.includes(`"${expectedStyle}"`) && error.message.includes(field),
        error.message,
      );
    });
  }

  test('unreadable JSON is refused naming the file', async () => {
    const file = path.join(dir, 'broken.json');
    await writeFile(file, '{ "styles": [');
    await assert.rejects(
      loadStyleCatalog(file),
      (error: unknown) =>
        error instanceof StyleError &&
        error.code === 'STYLE_CATALOG_INVALID' &&
        error.file === file &&
        error.message.includes(file),
    );
  });
});
