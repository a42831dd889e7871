import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { EngineError } from '../errors.ts';
import type { MergeRanks } from './bpe.ts';

/** Everything a diffusers `tokenizer/` folder says, checked; ids are resolved by the tokenizer. */
export interface TokenizerFiles {
  vocab: ReadonlyMap<string, number>;
  /** Highest id in vocab.json: the size the text encoder's embedding table must reach. */
  maxTokenId: number;
  ranks: MergeRanks;
  maxLength: number;
  specialTokens: Readonly<Record<SpecialTokenRole, string>>;
}

export type SpecialTokenRole = 'bos_token' | 'eos_token' | 'pad_token' | 'unk_token';

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

export async function readTokenizerFolder(dir: string): Promise<TokenizerFiles> {
  const { vocab, maxTokenId } = parseVocab(await readJson(dir, 'vocab.json', true), dir);
  const ranks = parseMerges((await readText(dir, 'merges.txt', true))!, dir);
  const config = await readJson(dir, 'tokenizer_config.json', false);
  const map = await readJson(dir, 'special_tokens_map.json', false);

  // special_tokens_map.json wins over tokenizer_config.json, as in Hugging Face's from_pretrained:
  // SD 2.x relies on it (its config says pad "<|endoftext|>", its map says "!").
  const specialTokens = { ...DEFAULT_SPECIAL_TOKENS };
  for (const role of Object.keys(DEFAULT_SPECIAL_TOKENS) as SpecialTokenRole[]) {
    specialTokens[role] =
      tokenContent(map[role], dir, 'special_tokens_map.json', role) ??
      tokenContent(config[role], dir, 'tokenizer_config.json', role) ??
      specialTokens[role];
  }
  return {
    vocab,
    maxTokenId,
    ranks,
    maxLength: parseMaxLength(config['model_max_length'], dir),
    specialTokens,
  };
}

function invalid(dir: string, file: string, fault: string): EngineError {
  const full = path.join(dir, file);
  return new EngineError('TOKENIZER_INVALID', `tokenizer file ${full} ${fault}`, full);
}

/** The file's text, or undefined when an optional file is absent. */
async function readText(dir: string, file: string, required: boolean): Promise<string | undefined> {
  try {
    return await readFile(path.join(dir, file), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !required) return undefined;
    throw invalid(
      dir,
      file,
      code === 'ENOENT' ? 'is missing' : `cannot be read (${code ?? error})`,
    );
  }
}

async function readJson(
  dir: string,
  file: string,
  required: boolean,
): Promise<Record<string, unknown>> {
  const text = await readText(dir, file, required);
  if (text === undefined) return {};
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

function parseVocab(
  json: Record<string, unknown>,
  dir: string,
): { vocab: Map<string, number>; maxTokenId: number } {
  const vocab = new Map<string, number>();
  let maxTokenId = -1;
  for (const [token, id] of Object.entries(json)) {
    if (!Number.isSafeInteger(id) || (id as number) < 0) {
      throw invalid(
        dir,
        'vocab.json',
        `maps ${JSON.stringify(token)} to ${JSON.stringify(id)}, not a token id`,
      );
    }
    vocab.set(token, id as number);
    maxTokenId = Math.max(maxTokenId, id as number);
  }
  if (vocab.size === 0) throw invalid(dir, 'vocab.json', 'has no tokens');
  return { vocab, maxTokenId };
}

function parseMerges(text: string, dir: string): MergeRanks {
  // Like Hugging Face: the first line is the `#version` header whatever it says, and a file longer
  // than CLIP's merge table is cut, so both tokenizers agree on any folder.
  const lines = text
    .trim()
    .split('\n')
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
