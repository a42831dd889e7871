/** Real test photos (e2e/photos, see its README) and variants made from them with sharp. */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SubmittedPhoto } from '../intake/intake.ts';

export const PHOTOS_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../e2e/photos',
);

/** A committed photo, named by its path under e2e/photos (e.g. 'portraits/sample1-face1.jpg'). */
export function photo(name: string): SubmittedPhoto {
  return { name, bytes: readFileSync(path.join(PHOTOS_DIR, name)) };
}

/** Every photo of one e2e/photos folder, in name order. */
export function photosIn(folder: string): SubmittedPhoto[] {
  return readdirSync(path.join(PHOTOS_DIR, folder))
    .filter((f) => f.endsWith('.jpg'))
    .sort()
    .map((f) => photo(`${folder}/${f}`));
}
