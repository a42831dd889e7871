import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isEngineError } from '../errors.ts';
import { ClipTokenizer } from './clip-tokenizer.ts';

/** The real CLIP vocabulary SD 1.x/2.x ship (49,408 tokens). */
const REAL = fileURLToPath(new URL('../../../scripts/fixtures/clip-tokenizer', import.meta.url));
const BOS = 49406;
const EOS = 49407;

let tokenizer: ClipTokenizer;
let vocab: Record<string, number>;
let scratch: string;

before(async () => {
  tokenizer = await ClipTokenizer.fromFolder(REAL);
  vocab = JSON.parse(await readFile(path.join(REAL, 'vocab.json'), 'utf8'));
  scratch = await mkdtemp(path.join(os.tmpdir(), 'clip-tokenizer-'));
});
after(() => rm(scratch, { recursive: true, force: true }));

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

/** A copy of the real tokenizer folder with some files replaced (null deletes the file). */
async function variant(name: string, files: Record<string, string | null>): Promise<string> {
  const dir = path.join(scratch, name);
  await cp(REAL, dir, { recursive: true });
  for (const [file, content] of Object.entries(files)) {
    if (content === null) await rm(path.join(dir, file));
    else await writeFile(path.join(dir, file), content);
  }
  return dir;
}

describe('ClipTokenizer on the real CLIP vocabulary', () => {
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

  test('without config files it uses CLIP defaults', async () => {
    const dir = await variant('bare', {
      'tokenizer_config.json': null,
      'special_tokens_map.json': null,
    });
    const bare = await ClipTokenizer.fromFolder(dir);
    assert.deepEqual(
      [...bare.encode('a photo of a cat')],
      [...tokenizer.encode('a photo of a cat')],
    );
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

  test('missing vocab.json', async () => {
    await rejects(await variant('no-vocab', { 'vocab.json': null }), 'vocab.json', /missing/);
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
});
