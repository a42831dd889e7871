import path from 'node:path';
import { BoundedReadError, describeFault, readBoundedText } from '../../files/read-bounded.ts';
import { EngineError } from '../errors.ts';
import type { MergeRanks } from './bpe.ts';
import { parseTokenizerJson } from './tokenizer-json.ts';

/** Everything a diffusers `tokenizer/` folder says, checked; ids are resolved by the tokenizer. */
export interface TokenizerFiles {
  /** The file the vocabulary came from, for messages about it. */
  vocabFile: VocabularyFile;
  vocab: ReadonlyMap<string, number>;
  /** Highest id in the vocabulary: the size the text encoder's embedding table must reach. */
  maxTokenId: number;
  ranks: MergeRanks;
  maxLength: number;
  specialTokens: Readonly<Record<SpecialTokenRole, string>>;
}

export type SpecialTokenRole = 'bos_token' | 'eos_token' | 'pad_token' | 'unk_token';

/** vocab.json (with merges.txt) in exports before transformers 5; tokenizer.json alone since. */
export type VocabularyFile = 'vocab.json' | 'tokenizer.json';

const MiB = 2 ** 20;

/**
 * The most each file may hold. CLIP's are far smaller (vocab.json ~1 MB, merges.txt ~0.5 MB,
 * tokenizer.json ~2 MB, the configs under 1 KB); without a cap a corrupt or hostile folder (a
 * 10-million-entry vocab.json) hangs loading for minutes and takes gigabytes.
 */
export const TOKENIZER_FILE_LIMITS = {
  'vocab.json': 8 * MiB,
  'merges.txt': 8 * MiB,
  'tokenizer.json': 16 * MiB,
  'tokenizer_config.json': 1 * MiB,
  'special_tokens_map.json': 1 * MiB,
} as const;

type TokenizerFileName = keyof typeof TOKENIZER_FILE_LIMITS;

/** CLIPTokenizer's own defaults, used when neither config file names a token. */
const DEFAULT_SPECIAL_TOKENS: Readonly<Record<SpecialTokenRole, string>> = {
  bos_token: '<|startoftext|>',
  eos_token: '<|endoftext|>',
  pad_token: '<|endoftext|>',
  unk_token: '<|endoftext|>',
};

const DEFAULT_MAX_LENGTH = 77;

/**
 * CLIP text encoders take 77 tokens. Hugging Face writes 1e30 as "no limit"; anything that large
 * would make every encode allocate a huge array, so it is refused as a model length.
 */
const LONGEST_MAX_LENGTH = 4096;

/** Hugging Face reads merges.txt lines 1 .. 49152-256-2, skipping the `#version` header line. */
const MAX_MERGES = 49152 - 256 - 2;

type Vocabulary = Pick<TokenizerFiles, 'vocabFile' | 'vocab' | 'maxTokenId' | 'ranks'>;

export async function readTokenizerFolder(dir: string): Promise<TokenizerFiles> {
  const vocabulary = await readVocabulary(dir);
  const config = (await readJson(dir, 'tokenizer_config.json', false)) ?? {};
  const map = (await readJson(dir, 'special_tokens_map.json', false)) ?? {};

  // special_tokens_map.json wins over tokenizer_config.json, as in Hugging Face's from_pretrained:
  // SD 2.x relies on it (its config says pad "<|endoftext|>", its map says "!"). transformers 5
  // writes no map: its tokenizer_config.json holds the tokens the map would have.
  const specialTokens = { ...DEFAULT_SPECIAL_TOKENS };
  for (const role of Object.keys(DEFAULT_SPECIAL_TOKENS) as SpecialTokenRole[]) {
    specialTokens[role] =
      tokenContent(map[role], dir, 'special_tokens_map.json', role) ??
      tokenContent(config[role], dir, 'tokenizer_config.json', role) ??
      specialTokens[role];
  }
  return {
    ...vocabulary,
    maxLength: parseMaxLength(config['model_max_length'], dir),
    specialTokens,
  };
}

/** vocab.json + merges.txt where vocab.json is present (the classic layout), else tokenizer.json. */
async function readVocabulary(dir: string): Promise<Vocabulary> {
  const vocabJson = await readJson(dir, 'vocab.json', false);
  if (vocabJson) {
    return {
      vocabFile: 'vocab.json',
      ...parseVocab(vocabJson, (fault) => invalid(dir, 'vocab.json', fault)),
      ranks: parseMerges((await readText(dir, 'merges.txt', true))!, dir),
    };
  }
  const tokenizerJson = await readJson(dir, 'tokenizer.json', false);
  if (!tokenizerJson) {
    throw invalid(
      dir,
      'vocab.json',
      'is missing, and so is tokenizer.json: a tokenizer folder needs vocab.json and merges.txt, or tokenizer.json',
    );
  }
  const fail = (fault: string): EngineError => invalid(dir, 'tokenizer.json', fault);
  const tables = parseTokenizerJson(tokenizerJson, fail);
  const { vocab, maxTokenId } = parseVocab(tables.vocab, (fault) => fail(`model.vocab ${fault}`));
  let highest = maxTokenId;
  for (const { content, id } of tables.addedTokens) {
    vocab.set(content, id);
    highest = Math.max(highest, id);
  }
  return {
    vocabFile: 'tokenizer.json',
    vocab,
    maxTokenId: highest,
    ranks: new Map(tables.merges.map((key, rank) => [key, rank])),
  };
}

function invalid(dir: string, file: string, fault: string): EngineError {
  const full = path.join(dir, file);
  return new EngineError('TOKENIZER_INVALID', `tokenizer file ${full} ${fault}`, full);
}

/** The file's text, or undefined when an optional file is absent. */
async function readText(
  dir: string,
  file: TokenizerFileName,
  required: boolean,
): Promise<string | undefined> {
  try {
    return await readBoundedText(path.join(dir, file), TOKENIZER_FILE_LIMITS[file]);
  } catch (error) {
    if (!(error instanceof BoundedReadError)) throw error;
    if (error.fault === 'missing' && !required) return undefined;
    throw invalid(dir, file, describeFault(error.fault, error.limit, error.errno));
  }
}

async function readJson(
  dir: string,
  file: TokenizerFileName,
  required: boolean,
): Promise<Record<string, unknown> | undefined> {
  const text = await readText(dir, file, required);
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw invalid(dir, file, `is not valid JSON (${(error as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(dir, file, 'is not a JSON object');
  }
  return value as Record<string, unknown>;
}

/** vocab.json, or tokenizer.json's model.vocab: `fail(fault)` names the file. */
function parseVocab(
  json: Record<string, unknown>,
  fail: (fault: string) => EngineError,
): { vocab: Map<string, number>; maxTokenId: number } {
  const vocab = new Map<string, number>();
  let maxTokenId = -1;
  for (const [token, id] of Object.entries(json)) {
    if (!Number.isSafeInteger(id) || (id as number) < 0) {
      throw fail(`maps ${JSON.stringify(token)} to ${JSON.stringify(id)}, not a token id`);
    }
    vocab.set(token, id as number);
    maxTokenId = Math.max(maxTokenId, id as number);
  }
  if (vocab.size === 0) throw fail('has no tokens');
  return { vocab, maxTokenId };
}

function parseMerges(text: string, dir: string): MergeRanks {
  // Like Hugging Face: the first line is the `#version` header whatever it says, and a file longer
  // than CLIP's merge table is cut, so both tokenizers agree on any folder. Lines may end in \r\n
  // (a Windows checkout or editor), which Python's universal newlines read as \n.
  const lines = text
    .trim()
    .split(/\r?\n/)
    .slice(1, 1 + MAX_MERGES);
  const ranks = new Map<string, number>();
  lines.forEach((line, rank) => {
    // Byte-encoded symbols never contain whitespace, so a well-formed line is already the key.
    const pair = line.trim();
    if (!/^\S+ \S+$/.test(pair)) {
      throw invalid(
        dir,
        'merges.txt',
        `line ${rank + 2} is ${JSON.stringify(line)}, not a pair of symbols`,
      );
    }
    ranks.set(pair, rank);
  });
  if (ranks.size === 0) throw invalid(dir, 'merges.txt', 'has no merges');
  return ranks;
}

/** A token is written either as a plain string or as a serialized AddedToken `{ content, ... }`. */
function tokenContent(
  value: unknown,
  dir: string,
  file: string,
  role: SpecialTokenRole,
): string | undefined {
  if (value === undefined || value === null) return undefined;
  const content =
    typeof value === 'object' && 'content' in value
      ? (value as { content: unknown }).content
      : value;
  if (typeof content !== 'string' || content === '') {
    throw invalid(dir, file, `has ${role} ${JSON.stringify(value)}, not a token`);
  }
  return content;
}

function parseMaxLength(value: unknown, dir: string): number {
  if (value === undefined) return DEFAULT_MAX_LENGTH;
  if (
    !Number.isSafeInteger(value) ||
    (value as number) < 2 ||
    (value as number) > LONGEST_MAX_LENGTH
  ) {
    throw invalid(
      dir,
      'tokenizer_config.json',
      `has model_max_length ${JSON.stringify(value)}; expected an integer from 2 (bos + eos) to ${LONGEST_MAX_LENGTH}`,
    );
  }
  return value as number;
}
