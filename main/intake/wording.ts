/** `"a"`, `"a" and "b"`, `"a", "b" and "c"`: file names as messages show them. */
export function quoteList(names: readonly string[]): string {
  const quoted = names.map((name) => `"${name}"`);
  return quoted.length < 2
    ? quoted.join('')
    : `${quoted.slice(0, -1).join(', ')} and ${quoted.at(-1)}`;
}
