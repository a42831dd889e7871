import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { cp, mkdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isEngineError } from '../errors.ts';
import {
  writeTransformers5Tokenizer,
  type MergesForm,
} from '../../testing/engine/transformers5-tokenizer.ts';
import { ClipTokenizer } from './clip-tokenizer.ts';
import { readTokenizerFolder, TOKENIZER_FILE_LIMITS } from './tokenizer-folder.ts';

/** The real CLIP vocabulary SD 1.x/2.x ship (49,408 tokens). */
const REAL = fileURLToPath(new URL('../../../models/clip-tokenizer', import.meta.url));
const BOS = 49406;
const EOS = 49407;

const scratch = mkdtempSync(path.join(os.tmpdir(), 'clip-tokenizer-'));
after(() => rm(scratch, { recursive: true, force: true }));

let vocab: Record<string, number>;
before(async () => {
  vocab = JSON.parse(await readFile(path.join(REAL, 'vocab.json'), 'utf8'));
});

/** The real tokenizer as transformers 5 saves it: tokenizer.json + tokenizer_config.json only. */
async function transformers5(name: string, merges: MergesForm, classic = REAL): Promise<string> {
  const dir = path.join(scratch, name);
  await writeTransformers5Tokenizer(classic, dir, merges);
  return dir;
}

/** Each layout a CLIP tokenizer folder comes in, all holding the real vocabulary. */
const LAYOUTS: Record<string, () => Promise<string>> = {
  'vocab.json + merges.txt': async () => REAL,
  'tokenizer.json, merges as strings': () => transformers5('layout-strings', 'strings'),
  'tokenizer.json, merges as pairs': () => transformers5('layout-pairs', 'pairs'),
};

/** The ids between bos and the first eos, i.e. the prompt's own tokens. */
function body(ids: Int32Array): number[] {
  assert.equal(ids[0], BOS);
  const end = ids.indexOf(EOS);
  assert.ok(end > 0, 'eos present');
  return [...ids.subarray(1, end)];
}

/** Expected ids spelled as vocab.json tokens, so each expectation can be checked against the file. */
function idsOf(...tokens: string[]): number[] {
  return tokens.map((token) => {
    const id = vocab[token];
    assert.ok(id !== undefined, `${token} is in vocab.json`);
    return id;
  });
}

/** A copy of a tokenizer folder with some files replaced (null deletes the file). */
async function variant(
  name: string,
  files: Record<string, string | null>,
  base = REAL,
): Promise<string> {
  const dir = path.join(scratch, name);
  await cp(base, dir, { recursive: true });
  for (const [file, content] of Object.entries(files)) {
    if (content === null) await rm(path.join(dir, file));
    else await writeFile(path.join(dir, file), content);
  }
  return dir;
}

for (const [layout, folder] of Object.entries(LAYOUTS)) {
  describe(`ClipTokenizer on the real CLIP vocabulary, ${layout}`, () => {
    let tokenizer: ClipTokenizer;
    before(async () => {
      tokenizer = await ClipTokenizer.fromFolder(await folder());
    });

    test('"a photo of a cat" gives the ids diffusers feeds the text encoder', () => {
      const expected = [BOS, 320, 1125, 539, 320, 2368, EOS, ...Array<number>(70).fill(EOS)];
      assert.deepEqual([...tokenizer.encode('a photo of a cat')], expected);
    });

    test('reports the folder: length, vocabulary size, highest id, special ids', () => {
      assert.equal(tokenizer.maxLength, 77);
      assert.equal(tokenizer.vocabSize, 49408);
      assert.equal(tokenizer.maxTokenId, 49407);
      assert.deepEqual([tokenizer.bosId, tokenizer.eosId, tokenizer.padId], [BOS, EOS, EOS]);
    });

    test('lower-cases and collapses whitespace', () => {
      const plain = tokenizer.encode('a photo of a cat');
      assert.deepEqual(tokenizer.encode('A PHOTO Of a CAT'), plain);
      assert.deepEqual(tokenizer.encode('  a\tphoto \n of\u00a0  a cat  '), plain);
    });

    test('splits punctuation off words and numbers into single digits', () => {
      assert.deepEqual(
        body(tokenizer.encode('hello, world! 2024')),
        idsOf('hello</w>', ',</w>', 'world</w>', '!</w>', '2</w>', '0</w>', '2</w>', '4</w>'),
      );
      assert.deepEqual(
        body(tokenizer.encode('(masterpiece:1.2)')),
        idsOf('(</w>', 'masterpiece</w>', ':</w>', '1</w>', '.</w>', '2</w>', ')</w>'),
      );
    });

    test('keeps contractions as their own tokens', () => {
      assert.deepEqual(body(tokenizer.encode("it's")), idsOf('it</w>', "'s</w>"));
      assert.deepEqual(body(tokenizer.encode("I'LL")), idsOf('i</w>', "'ll</w>"));
    });

    test('merges a long word into its vocabulary pieces', () => {
      assert.deepEqual(body(tokenizer.encode('photorealistic')), idsOf('photo', 'realistic</w>'));
    });

    test('encodes non-ASCII text through its UTF-8 bytes', () => {
      // é is bytes C3 A9, which the byte-level alphabet spells "Ã©".
      assert.deepEqual(body(tokenizer.encode('café')), idsOf('cafÃ©</w>'));
      assert.deepEqual(body(tokenizer.encode('naïve')), idsOf('na', 'Ã¯', 've</w>'));
      assert.deepEqual(body(tokenizer.encode('😀')), idsOf('ðŁĺĢ</w>'));
    });

    test('normalises to NFC and drops invisible format characters, as Hugging Face does', () => {
      assert.deepEqual(tokenizer.encode('cafe\u0301'), tokenizer.encode('café'));
      assert.deepEqual(body(tokenizer.encode('a\u200db')), idsOf('ab</w>'));
    });

    test('truncates a long prompt to 77 ids and keeps eos last', () => {
      const ids = tokenizer.encode(Array(100).fill('cat').join(' '));
      assert.equal(ids.length, 77);
      assert.deepEqual([...ids.subarray(1, 76)], Array<number>(75).fill(2368));
      assert.equal(ids[0], BOS);
      assert.equal(ids[76], EOS);
    });

    test('an empty prompt is bos, eos and padding', () => {
      assert.deepEqual([...tokenizer.encode('')], [BOS, ...Array<number>(76).fill(EOS)]);
    });

    test('special tokens typed in a prompt keep their ids', () => {
      assert.deepEqual(body(tokenizer.encode('a <|endoftext|>')), idsOf('a</w>'));
      assert.equal(tokenizer.encode('a <|endoftext|>')[2], EOS);
    });

    test('each call returns a fresh array the caller may modify', () => {
      const first = tokenizer.encode('a cat');
      first[1] = 0;
      assert.equal(tokenizer.encode('a cat')[1], 320);
    });
  });
}

describe('ClipTokenizer honours the folder configuration', () => {
  test('an SD 2.x folder with pad_token "!" pads with id 0', async () => {
    const map = JSON.parse(await readFile(path.join(REAL, 'special_tokens_map.json'), 'utf8'));
    const dir = await variant('sd2', {
      'special_tokens_map.json': JSON.stringify({ ...map, pad_token: '!' }),
    });
    const sd2 = await ClipTokenizer.fromFolder(dir);
    assert.equal(sd2.padId, 0);
    assert.deepEqual([...sd2.encode('a cat')], [BOS, 320, 2368, EOS, ...Array<number>(73).fill(0)]);
    // Hugging Face treats the pad token as special even inside a prompt (diffusers issue #4153).
    assert.deepEqual([...sd2.encode('! !! !!!').subarray(0, 8)], [BOS, 0, 0, 0, 0, 0, 0, EOS]);
  });

  test('special_tokens_map.json wins over tokenizer_config.json, as in Hugging Face', async () => {
    const config = JSON.parse(await readFile(path.join(REAL, 'tokenizer_config.json'), 'utf8'));
    const dir = await variant('precedence', {
      'tokenizer_config.json': JSON.stringify({ ...config, pad_token: '!' }),
    });
    assert.equal((await ClipTokenizer.fromFolder(dir)).padId, EOS);
  });

  test('tokens written as AddedToken objects and model_max_length are read', async () => {
    const dir = await variant('objects', {
      'tokenizer_config.json': JSON.stringify({
        model_max_length: 16,
        pad_token: { __type: 'AddedToken', content: '!', lstrip: false, rstrip: false },
      }),
      'special_tokens_map.json': null,
    });
    const short = await ClipTokenizer.fromFolder(dir);
    assert.equal(short.maxLength, 16);
    assert.equal(short.padId, 0);
    assert.equal(short.encode(Array(30).fill('cat').join(' ')).length, 16);
  });

  test('merges.txt with \\r\\n line ends reads as with \\n', async () => {
    const merges = await readFile(path.join(REAL, 'merges.txt'), 'utf8');
    const dir = await variant('crlf', { 'merges.txt': merges.replaceAll('\n', '\r\n') });
    assert.deepEqual(
      (await readTokenizerFolder(dir)).ranks,
      (await readTokenizerFolder(REAL)).ranks,
    );
  });

  test('without config files it uses CLIP defaults', async () => {
    const dir = await variant('bare', {
      'tokenizer_config.json': null,
      'special_tokens_map.json': null,
    });
    const bare = await ClipTokenizer.fromFolder(dir);
    const real = await ClipTokenizer.fromFolder(REAL);
    assert.deepEqual([...bare.encode('a photo of a cat')], [...real.encode('a photo of a cat')]);
  });
});

describe('a tokenizer.json-only folder, as transformers 5 saves it', () => {
  test('reads exactly the vocabulary, merges and special tokens of vocab.json + merges.txt', async () => {
    const { vocabFile, ...classic } = await readTokenizerFolder(REAL);
    assert.equal(vocabFile, 'vocab.json');
    for (const form of ['strings', 'pairs'] as const) {
      const read = await readTokenizerFolder(await transformers5(`same-${form}`, form));
      const { vocabFile: file, ...fromJson } = read;
      assert.equal(file, 'tokenizer.json');
      assert.deepEqual(fromJson, classic, form);
    }
  });

  test('gives diffusers\' own input_ids for SD 1.x and SD 2.x (pad "!")', async () => {
    // The ids transformers 5's CLIPTokenizer gave diffusers for this prompt (the SD 1.x and SD 2.x
    // reference models' cases.json): SD 1.x reads "!!" as one token, SD 2.x as two pad tokens.
    const prompt = 'a watercolor portrait of a person, highly detailed!!';
    const words = [320, 14211, 5352, 539, 320, 2533, 267, 5302, 12609];
    const sd1 = await ClipTokenizer.fromFolder(await transformers5('reference-sd1', 'pairs'));
    assert.deepEqual(
      [...sd1.encode(prompt)],
      [BOS, ...words, 748, EOS, ...Array<number>(65).fill(EOS)],
    );

    const map = JSON.parse(await readFile(path.join(REAL, 'special_tokens_map.json'), 'utf8'));
    const sd2Classic = await variant('reference-sd2-classic', {
      'special_tokens_map.json': JSON.stringify({ ...map, pad_token: '!' }),
    });
    const dir = await transformers5('reference-sd2', 'pairs', sd2Classic);
    const config = JSON.parse(await readFile(path.join(dir, 'tokenizer_config.json'), 'utf8'));
    assert.equal(config.pad_token, '!');
    const sd2 = await ClipTokenizer.fromFolder(dir);
    assert.deepEqual(
      [...sd2.encode(prompt)],
      [BOS, ...words, 0, 0, EOS, ...Array<number>(64).fill(0)],
    );
  });

  test('special tokens in tokenizer_config.json may be AddedToken objects', async () => {
    const base = await transformers5('objects-base', 'pairs');
    const config = JSON.parse(await readFile(path.join(base, 'tokenizer_config.json'), 'utf8'));
    const pad = { content: '!', lstrip: false, normalized: false, rstrip: false, special: true };
    const dir = await variant(
      'objects-json',
      { 'tokenizer_config.json': JSON.stringify({ ...config, pad_token: pad }) },
      base,
    );
    assert.equal((await ClipTokenizer.fromFolder(dir)).padId, 0);
  });

  test('an added token outside model.vocab is a token, and raises the highest id', async () => {
    const base = await transformers5('added-base', 'pairs');
    const json = JSON.parse(await readFile(path.join(base, 'tokenizer.json'), 'utf8'));
    json.added_tokens.push({ id: 49408, content: '<|pad|>', special: true });
    const config = JSON.parse(await readFile(path.join(base, 'tokenizer_config.json'), 'utf8'));
    const dir = await variant(
      'added',
      {
        'tokenizer.json': JSON.stringify(json),
        'tokenizer_config.json': JSON.stringify({ ...config, pad_token: '<|pad|>' }),
      },
      base,
    );
    const added = await ClipTokenizer.fromFolder(dir);
    assert.deepEqual([added.vocabSize, added.maxTokenId, added.padId], [49409, 49408, 49408]);
  });

  test('where vocab.json is present, it and merges.txt are read, not tokenizer.json', async () => {
    const dir = await variant('both', { 'tokenizer.json': '{' });
    assert.equal((await readTokenizerFolder(dir)).vocabFile, 'vocab.json');
  });
});

describe('ClipTokenizer rejects a broken folder', () => {
  async function rejects(dir: string, file: string, fault: RegExp): Promise<void> {
    await assert.rejects(ClipTokenizer.fromFolder(dir), (error) => {
      assert.ok(isEngineError(error));
      assert.equal(error.code, 'TOKENIZER_INVALID');
      assert.equal(error.file, path.join(dir, file));
      assert.match(error.message, new RegExp(file.replace('.', '\\.')));
      assert.match(error.message, fault);
      return true;
    });
  }

  test('missing vocab.json, and no tokenizer.json either', async () => {
    const dir = await variant('no-vocab', { 'vocab.json': null });
    await rejects(dir, 'vocab.json', /is missing, and so is tokenizer\.json/);
  });

  test('corrupt vocab.json', async () => {
    const dir = await variant('bad-vocab', { 'vocab.json': '{"a</w>": 320,' });
    await rejects(dir, 'vocab.json', /not valid JSON/);
  });

  test('vocab.json that maps a token to something other than an id', async () => {
    const dir = await variant('bad-id', { 'vocab.json': '{"a</w>": "320"}' });
    await rejects(dir, 'vocab.json', /not a token id/);
  });

  test('missing merges.txt', async () => {
    await rejects(await variant('no-merges', { 'merges.txt': null }), 'merges.txt', /missing/);
  });

  test('merges.txt with a line that is not a pair', async () => {
    const dir = await variant('bad-merges', { 'merges.txt': '#version: 0.2\ni n\nt h e\n' });
    await rejects(dir, 'merges.txt', /line 3/);
  });

  test('corrupt tokenizer_config.json', async () => {
    const dir = await variant('bad-config', { 'tokenizer_config.json': '{model_max_length: 77}' });
    await rejects(dir, 'tokenizer_config.json', /not valid JSON/);
  });

  test('model_max_length that is no usable length', async () => {
    const dir = await variant('huge-length', {
      'tokenizer_config.json': JSON.stringify({ model_max_length: 1e30 }),
    });
    await rejects(dir, 'tokenizer_config.json', /model_max_length/);
  });

  test('a special token the vocabulary lacks', async () => {
    const dir = await variant('no-pad', {
      'special_tokens_map.json': JSON.stringify({ pad_token: '<pad>' }),
    });
    await rejects(dir, 'vocab.json', /pad_token "<pad>"/);
  });

  describe('tokenizer.json', () => {
    let base: string;
    before(async () => {
      base = await transformers5('broken-base', 'pairs');
    });

    /** What the cases below break in a tokenizer.json. */
    interface Editable {
      model?: { [field: string]: unknown; merges: unknown[]; vocab: Record<string, unknown> };
      added_tokens: unknown[];
    }

    /** The base tokenizer.json after `edit`. */
    async function broken(name: string, edit: (json: Editable) => void): Promise<string> {
      const json = JSON.parse(await readFile(path.join(base, 'tokenizer.json'), 'utf8'));
      edit(json);
      return variant(name, { 'tokenizer.json': JSON.stringify(json) }, base);
    }

    const cases: [string, (json: Editable) => void, RegExp][] = [
      ['without a model', (json) => delete json.model, /no "model" object/],
      [
        'a WordPiece model',
        (json) => (json.model!.type = 'WordPiece'),
        /model\.type "WordPiece"; expected "BPE"/,
      ],
      [
        'another end-of-word suffix',
        (json) => (json.model!.end_of_word_suffix = ''),
        /end_of_word_suffix ""; expected "<\/w>"/,
      ],
      [
        'a subword prefix',
        (json) => (json.model!.continuing_subword_prefix = '##'),
        /continuing_subword_prefix "##"/,
      ],
      [
        'a merge of three symbols',
        (json) => (json.model!.merges[5] = 'a b c'),
        /model\.merges\[5\] "a b c", not a pair/,
      ],
      [
        'a merge of one symbol',
        (json) => (json.model!.merges[5] = ['a']),
        /model\.merges\[5\] \["a"\], not a pair/,
      ],
      ['no merges', (json) => (json.model!.merges = []), /no model\.merges list/],
      [
        'a vocabulary id that is a string',
        (json) => (json.model!.vocab['a</w>'] = '320'),
        /model\.vocab maps "a<\/w>" to "320", not a token id/,
      ],
      [
        'an added token without an id',
        (json) => (json.added_tokens[0] = { content: 'x' }),
        /added_tokens\[0\]/,
      ],
    ];
    for (const [name, edit, fault] of cases) {
      test(name, async () => {
        await rejects(
          await broken(`json-${name.replaceAll(' ', '-')}`, edit),
          'tokenizer.json',
          fault,
        );
      });
    }

    test('not JSON', async () => {
      const dir = await variant('json-corrupt', { 'tokenizer.json': '{"model":' }, base);
      await rejects(dir, 'tokenizer.json', /not valid JSON/);
    });

    test('a special token the vocabulary lacks names tokenizer.json', async () => {
      const config = JSON.parse(await readFile(path.join(base, 'tokenizer_config.json'), 'utf8'));
      const dir = await variant(
        'json-no-pad',
        { 'tokenizer_config.json': JSON.stringify({ ...config, pad_token: '<pad>' }) },
        base,
      );
      await rejects(dir, 'tokenizer.json', /pad_token "<pad>"/);
    });
  });

  describe('a file no real tokenizer folder holds is refused unread', () => {
    for (const [file, limit] of Object.entries(TOKENIZER_FILE_LIMITS)) {
      test(`${file} one byte over ${limit / 2 ** 20} MiB`, async () => {
        const dir =
          file === 'tokenizer.json'
            ? await transformers5('huge-tokenizer-json', 'pairs')
            : await variant(`huge-${file}`, {});
        // Sparse: the test writes no megabytes, and a reader that read first would still be caught.
        await truncate(path.join(dir, file), limit + 1);
        await rejects(dir, file, new RegExp(`larger than ${limit / 2 ** 20} MiB`));
      });
    }

    test('a directory in place of vocab.json or tokenizer_config.json', async () => {
      for (const file of ['vocab.json', 'tokenizer_config.json']) {
        const dir = await variant(`directory-${file}`, { [file]: null });
        await mkdir(path.join(dir, file));
        await rejects(dir, file, /not a regular file/);
      }
    });

    test('a FIFO in place of vocab.json', { skip: process.platform === 'win32' }, async () => {
      const dir = await variant('fifo-vocab', { 'vocab.json': null });
      // Nothing ever writes to it: a reader that opened it blocking would hang here.
      execFileSync('mkfifo', [path.join(dir, 'vocab.json')]);
      await rejects(dir, 'vocab.json', /not a regular file/);
    });
  });
});
