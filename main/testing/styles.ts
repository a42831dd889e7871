/** Test helper: a styles file of the shipped catalogue's styles, changed as a test needs. */
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_CATALOG_FILE } from '../styles/catalog.ts';

/**
 * `<dir>/styles.json` holding the shipped catalogue's first `changes.length` styles, style i with
 * `changes[i]`'s fields over its own (a LoRA, trigger words, a name), their previews copied
 * beside it. Returns the file.
 */
export async function writeStylesFile(
  dir: string,
  changes: readonly Record<string, unknown>[],
): Promise<string> {
  const shipped = JSON.parse(await readFile(DEFAULT_CATALOG_FILE, 'utf8')) as {
    styles: Record<string, unknown>[];
  };
  const styles = shipped.styles.slice(0, changes.length).map((s, i) => ({ ...s, ...changes[i] }));
  await mkdir(path.join(dir, 'previews'), { recursive: true });
  for (const { previewFile } of styles) {
    const preview = previewFile as string;
    await copyFile(path.join(path.dirname(DEFAULT_CATALOG_FILE), preview), path.join(dir, preview));
  }
  const file = path.join(dir, 'styles.json');
  await writeFile(file, JSON.stringify({ styles }));
  return file;
}
