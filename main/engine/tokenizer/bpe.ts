/**
 * GPT-2/CLIP byte-level BPE: a word's UTF-8 bytes become printable stand-in characters, then the
 * lowest-ranked adjacent pair is merged until no ranked pair is left (OpenAI's `bpe()`, as ported
 * by Hugging Face's CLIPTokenizer).
 */

/** Byte → stand-in character: printable Latin-1 bytes map to themselves, the rest to U+0100 and up. */
const BYTE_TO_CHAR: readonly string[] = (() => {
  const chars: string[] = [];
  let next = 256;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || b >= 0xae;
    chars.push(String.fromCodePoint(printable ? b : next++));
  }
  return chars;
})();

const utf8 = new TextEncoder();

export function byteEncode(word: string): string {
  let out = '';
  for (const byte of utf8.encode(word)) out += BYTE_TO_CHAR[byte]!;
  return out;
}

/** The end-of-word marker CLIP glues onto a word's last symbol. */
export const END_OF_WORD = '</w>';

/** Merge ranks keyed `${left} ${right}`: symbols never contain a space (it is byte-encoded away). */
export type MergeRanks = ReadonlyMap<string, number>;

/** Splits one byte-encoded word into its BPE symbols. */
export function bpe(word: string, ranks: MergeRanks): string[] {
  const symbols = [...word];
  symbols[symbols.length - 1] += END_OF_WORD;
  while (symbols.length > 1) {
    let best = Infinity;
    let left = '';
    let right = '';
    for (let i = 0; i + 1 < symbols.length; i++) {
      const rank = ranks.get(`${symbols[i]} ${symbols[i + 1]}`);
      if (rank !== undefined && rank < best) {
        best = rank;
        left = symbols[i]!;
        right = symbols[i + 1]!;
      }
    }
    if (best === Infinity) break;
    // Merge every occurrence of the pair in one left-to-right pass, as the reference does.
    const merged: string[] = [];
    for (let i = 0; i < symbols.length; i++) {
      if (symbols[i] === left && symbols[i + 1] === right) {
        merged.push(left + right);
        i++;
      } else {
        merged.push(symbols[i]!);
      }
    }
    symbols.splice(0, symbols.length, ...merged);
  }
  return symbols;
}
