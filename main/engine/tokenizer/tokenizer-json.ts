import { isPlainObject } from '../../api/fields.ts';
import { END_OF_WORD } from './bpe.ts';

/**
 * The BPE tables of a Hugging Face tokenizers `tokenizer.json`, the only tokenizer file
 * transformers 5 saves. Only the model and the added tokens are read: the normalizer and
 * pre-tokenizer a CLIP tokenizer.json spells out are CLIP's, which clean-text.ts and
 * clip-tokenizer.ts implement.
 */
export interface TokenizerJson {
  /** `model.vocab`, token → id, left for the caller to check as it checks vocab.json. */
  vocab: Record<string, unknown>;
  /** `model.merges` as keys `${left} ${right}`, in rank order. */
  merges: string[];
  /** `added_tokens`: in tokenizers their ids win over the vocabulary's. */
  addedTokens: { content: string; id: number }[];
}

/** `fail(fault)` makes the error to throw, naming tokenizer.json; `fault` completes the sentence. */
export function parseTokenizerJson(
  json: Record<string, unknown>,
  fail: (fault: string) => Error,
): TokenizerJson {
  const model = json['model'];
  if (!isPlainObject(model)) throw fail('has no "model" object');
  if (model['type'] !== 'BPE') {
    throw fail(`has model.type ${JSON.stringify(model['type'])}; expected "BPE" (CLIP's)`);
  }
  // bpe.ts glues "</w>" onto a word's last symbol and uses no continuation prefix, as CLIP does; a
  // tokenizer built otherwise (GPT-2's, say) would silently give wrong ids.
  if (model['end_of_word_suffix'] !== END_OF_WORD) {
    throw fail(
      `has model.end_of_word_suffix ${JSON.stringify(model['end_of_word_suffix'])}; expected "${END_OF_WORD}" (CLIP's)`,
    );
  }
  const prefix = model['continuing_subword_prefix'];
  if (prefix !== undefined && prefix !== null && prefix !== '') {
    throw fail(
      `has model.continuing_subword_prefix ${JSON.stringify(prefix)}; expected "" (CLIP's)`,
    );
  }
  if (!isPlainObject(model['vocab'])) throw fail('has no model.vocab object');

  const merges = model['merges'];
  if (!Array.isArray(merges) || merges.length === 0) throw fail('has no model.merges list');
  return {
    vocab: model['vocab'],
    merges: merges.map((merge: unknown, rank) => {
      // tokenizers before 0.20 wrote "left right"; later versions write ["left", "right"].
      const pair = typeof merge === 'string' ? merge.split(' ') : merge;
      if (!Array.isArray(pair) || pair.length !== 2 || !pair.every(isSymbol)) {
        throw fail(`has model.merges[${rank}] ${JSON.stringify(merge)}, not a pair of symbols`);
      }
      return `${pair[0]} ${pair[1]}`;
    }),
    addedTokens: parseAddedTokens(json['added_tokens'], fail),
  };
}

function parseAddedTokens(
  value: unknown,
  fail: (fault: string) => Error,
): TokenizerJson['addedTokens'] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw fail('has added_tokens that is not a list');
  return value.map((token: unknown, index) => {
    const { content, id } = isPlainObject(token) ? token : {};
    if (
      typeof content !== 'string' ||
      content === '' ||
      !Number.isSafeInteger(id) ||
      (id as number) < 0
    ) {
      throw fail(`has added_tokens[${index}] ${JSON.stringify(token)}, not a token with an id`);
    }
    return { content, id: id as number };
  });
}

/** Byte-level symbols never hold whitespace (bpe.ts encodes it away), so merge keys stay unambiguous. */
function isSymbol(value: unknown): value is string {
  return typeof value === 'string' && /^\S+$/.test(value);
}
