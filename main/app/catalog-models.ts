/** The catalogue as the model screen lists it: what each model is, weighs and is licensed under. */
import type { CatalogModel } from '../api/contract.ts';
import type { Catalog, CatalogEntry } from '../models/catalog.ts';
import { isInstalled } from '../models/registry.ts';

export async function catalogModels(catalog: Catalog, dataDir: string): Promise<CatalogModel[]> {
  const models = catalog.entries.filter((entry) => entry.kind === 'model');
  return Promise.all(
    models.map(async (entry) => {
      const addons = addonsOf(catalog, entry);
      const parts = [entry, ...addons];
      const sizes = parts.map((part) => part.totalBytes);
      return {
        id: entry.id,
        name: entry.name,
        // parseCatalog holds every model entry to one of the app's families.
        family: entry.family!,
        bytes: sizes.every((size) => size !== null) ? sizes.reduce((a, b) => a + b, 0) : null,
        licence: { text: entry.license, ...(entry.homepage ? { url: entry.homepage } : {}) },
        addons: addons.map((addon) => ({ name: addon.name, licence: addon.license })),
        ...(entry.provenance ? { provenance: entry.provenance } : {}),
        installed: await isInstalled(dataDir, entry.id),
      };
    }),
  );
}

/** parseCatalog checked that every add-on an entry names is in the catalogue. */
function addonsOf(catalog: Catalog, entry: CatalogEntry): CatalogEntry[] {
  return (entry.addons ?? []).map((id) => catalog.entries.find((e) => e.id === id)!);
}
