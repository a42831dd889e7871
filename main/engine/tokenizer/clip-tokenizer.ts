import path from 'node:path';
import { EngineError } from '../errors.ts';
import { bpe, byteEncode, type MergeRanks } from './bpe.ts';
import { cleanText } from './clean-text.ts';
import {
  readTokenizerFolder,
  type SpecialTokenRole,
  type TokenizerFiles,
} from './tokenizer-folder.ts';

/** CLIP's pre-tokenizer, verbatim from OpenAI / Hugging Face. */
const WORD_PATTERN =
  /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+/giu;

/** The pattern above lets these through whole; Hugging Face's BPE cache maps them to themselves. */
const LITERAL_WORDS = ['<|startoftext|>', '<|endoftext|>'];

/** Distinct words remembered; a long-running app would otherwise grow the cache without bound. */
const CACHE_LIMIT = 50_000;

/**
 * The CLIP BPE tokenizer of a diffusers model folder, giving the ids Hugging Face's
 * CLIPTokenizer gives with `padding="max_length", truncation=True` (what diffusers calls).
 */
export class ClipTokenizer {
  /** Ids per prompt (model_max_length; 77 for every SD text encoder). */
  readonly maxLength: number;
  /** Entries in the vocabulary (vocab.json, or tokenizer.json's vocab and added tokens). */
  readonly vocabSize: number;
  /** Highest id in the vocabulary: the text encoder must accept it, or tokenizer and model differ. */
  readonly maxTokenId: number;
  readonly bosId: number;
  readonly eosId: number;
  /** SD 1.x pads with <|endoftext|> (49407), SD 2.x with "!" (0): the folder decides. */
  readonly padId: number;

  private readonly unkId: number;
  private readonly vocab: ReadonlyMap<string, number>;
  private readonly ranks: MergeRanks;
  /** Special-token strings → ids: they are cut out of the text before any clean-up. */
  private readonly specialIds: ReadonlyMap<string, number>;
  private readonly specialPattern: RegExp;
  private readonly cache = new Map<string, readonly number[]>();

  private constructor(files: TokenizerFiles, dir: string) {
    const idOf = (role: SpecialTokenRole): number => {
      const token = files.specialTokens[role];
      const id = files.vocab.get(token);
      if (id === undefined) {
        const vocabFile = path.join(dir, files.vocabFile);
        throw new EngineError(
          'TOKENIZER_INVALID',
          `tokenizer file ${vocabFile} lacks the ${role} ${JSON.stringify(token)}`,
          vocabFile,
        );
      }
      return id;
    };
    this.maxLength = files.maxLength;
    this.vocabSize = files.vocab.size;
    this.maxTokenId = files.maxTokenId;
    this.bosId = idOf('bos_token');
    this.eosId = idOf('eos_token');
    this.padId = idOf('pad_token');
    this.unkId = idOf('unk_token');
    this.vocab = files.vocab;
    this.ranks = files.ranks;

    const specials = Object.values(files.specialTokens);
    this.specialIds = new Map(specials.map((token) => [token, files.vocab.get(token)!]));
    // Longest first, so that at any position the longest special token wins, as in HF's trie.
    const alternatives = [...this.specialIds.keys()]
      .sort((a, b) => b.length - a.length)
      .map((token) => token.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    this.specialPattern = new RegExp(`(${alternatives.join('|')})`);
  }

  /**
   * Reads vocab.json and merges.txt, or tokenizer.json where they are absent, and, when present,
   * tokenizer_config.json and special_tokens_map.json.
   */
  static async fromFolder(dir: string): Promise<ClipTokenizer> {
    return new ClipTokenizer(await readTokenizerFolder(dir), dir);
  }

  /** bos, the prompt's first maxLength-2 tokens, eos, then padding: always exactly maxLength ids. */
  encode(text: string): Int32Array {
    const tokens = this.tokenize(text).slice(0, this.maxLength - 2);
    const ids = new Int32Array(this.maxLength).fill(this.padId);
    ids[0] = this.bosId;
    ids.set(tokens, 1);
    ids[tokens.length + 1] = this.eosId;
    return ids;
  }

  private tokenize(text: string): number[] {
    const ids: number[] = [];
    // Like HF's slow tokenizer, special tokens typed in the prompt are ids of their own. With SD 2.x
    // this includes pad "!": "wow!" ends in 0, not in the "!</w>" token (diffusers issue #4153).
    for (const piece of text.split(this.specialPattern)) {
      const special = this.specialIds.get(piece);
      if (special !== undefined) {
        ids.push(special);
        continue;
      }
      for (const [word] of cleanText(piece).matchAll(WORD_PATTERN)) ids.push(...this.wordIds(word));
    }
    return ids;
  }

  private wordIds(word: string): readonly number[] {
    const encoded = byteEncode(word);
    let ids = this.cache.get(encoded);
    if (ids === undefined) {
      const symbols = LITERAL_WORDS.includes(encoded) ? [encoded] : bpe(encoded, this.ranks);
      ids = symbols.map((symbol) => this.vocab.get(symbol) ?? this.unkId);
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(encoded, ids);
    }
    return ids;
  }
}
