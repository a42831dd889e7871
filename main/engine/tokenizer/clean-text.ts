/**
 * Prompt clean-up exactly as Hugging Face's slow CLIPTokenizer does it when ftfy is not installed
 * (the usual case for diffusers): its BasicTokenizer with `strip_accents=False` and
 * `do_split_on_punc=False`. Note what it does not do: no HTML unescaping and no accent stripping
 * (those belong to ftfy / OpenAI's original `basic_clean`), so we skip them too, to produce the
 * same ids as diffusers.
 */
export function cleanText(text: string): string {
  let kept = '';
  for (const char of text) {
    if (char === '\t' || char === '\n' || char === '\r' || /\p{Zs}/u.test(char)) kept += ' ';
    // Every "Other" category character (controls, format marks such as zero-width joiners, lone
    // surrogates, unassigned) and U+FFFD are dropped, not turned into spaces.
    else if (char === '\ufffd' || /\p{C}/u.test(char)) continue;
    else kept += isCjk(char.codePointAt(0)!) ? ` ${char} ` : char;
  }
  return kept
    .normalize('NFC')
    .split(/\s+/u)
    .filter((word) => word !== '')
    .map((word) => word.toLowerCase())
    .join(' ');
}

/** The CJK Unified Ideograph blocks BERT-style tokenizers surround with spaces. */
function isCjk(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}
