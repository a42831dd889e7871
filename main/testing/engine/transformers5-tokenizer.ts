import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** tokenizers before 0.20 wrote each merge as "left right"; later versions as ["left", "right"]. */
export type MergesForm = 'strings' | 'pairs';

const ROLES = ['bos_token', 'eos_token', 'pad_token', 'unk_token'] as const;

/**
 * Writes into `outDir` the CLIP tokenizer of the classic folder `classicDir` (vocab.json,
 * merges.txt, tokenizer_config.json, special_tokens_map.json) as transformers 5 saves it:
 * tokenizer.json in the Hugging Face tokenizers format and tokenizer_config.json holding the
 * special tokens, nothing else. The special tokens are the added tokens, as in a real save.
 */
export async function writeTransformers5Tokenizer(
  classicDir: string,
  outDir: string,
  merges: MergesForm,
): Promise<void> {
  const read = async (file: string): Promise<string> =>
    readFile(path.join(classicDir, file), 'utf8');
  const readJson = async (file: string): Promise<Record<string, unknown>> =>
    JSON.parse(await read(file).catch(() => '{}')) as Record<string, unknown>;
  const vocab = JSON.parse(await read('vocab.json')) as Record<string, number>;
  const pairs = (await read('merges.txt'))
    .trim()
    .split(/\r?\n/)
    .slice(1)
    .map((line) => line.trim().split(' ') as [string, string]);
  // special_tokens_map.json wins, as when transformers loads the folder before saving it again.
  const config = await readJson('tokenizer_config.json');
  const map = await readJson('special_tokens_map.json');
  const special = Object.fromEntries(
    ROLES.map((role) => [role, String(map[role] ?? config[role])]),
  ) as Record<(typeof ROLES)[number], string>;

  const specials = [...new Set(Object.values(special))].sort((a, b) => vocab[a]! - vocab[b]!);
  const tokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map((content) => ({
      id: vocab[content],
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: true,
      special: true,
    })),
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'NFC' },
        { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' },
        { type: 'Lowercase' },
      ],
    },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        {
          type: 'Split',
          pattern: {
            Regex:
              "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+",
          },
          behavior: 'Removed',
          invert: true,
        },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: {
      type: 'RobertaProcessing',
      sep: [special.eos_token, vocab[special.eos_token]],
      cls: [special.bos_token, vocab[special.bos_token]],
      trim_offsets: false,
      add_prefix_space: false,
    },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: special.unk_token,
      continuing_subword_prefix: '',
      end_of_word_suffix: '</w>',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: merges === 'pairs' ? pairs : pairs.map((pair) => pair.join(' ')),
    },
  };
  const tokenizerConfig = {
    backend: 'tokenizers',
    ...special,
    do_lower_case: true,
    errors: 'replace',
    model_max_length: config['model_max_length'] ?? 77,
    tokenizer_class: 'CLIPTokenizer',
  };
  await mkdir(outDir, { recursive: true });
  await writeFile(path.join(outDir, 'tokenizer.json'), JSON.stringify(tokenizerJson, null, 2));
  await writeFile(
    path.join(outDir, 'tokenizer_config.json'),
    `${JSON.stringify(tokenizerConfig, null, 2)}\n`,
  );
}
