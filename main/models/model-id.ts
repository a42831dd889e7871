/** Model ids are folder names under <dataDir>/models and settings values: lowercase slugs. */
export const MODEL_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;

export function isModelId(value: unknown): value is string {
  return typeof value === 'string' && MODEL_ID_PATTERN.test(value);
}

/** A folder or file name made into an id: "My SD-Turbo (fp16)" → "my-sd-turbo-fp16". */
export function slugify(name: string): string {
  const slug = name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 56)
    .replace(/-+$/, '');
  return slug || 'model';
}
