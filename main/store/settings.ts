import type { Database } from 'better-sqlite3';
import { z } from 'zod';
import { settings as pageSettings } from '../api/schema.ts';
import { isModelId } from '../models/model-id.ts';
import { StoreError } from './errors.ts';

/** The settings the page shows and changes, and the model runs use when none is named. */
const stored = pageSettings.extend({
  /** The installed model runs use when none is named; null: the first one installed. */
  defaultModelId: z.string().refine(isModelId).nullable(),
});
export type Settings = Readonly<z.infer<typeof stored>>;

export const DEFAULT_SETTINGS: Settings = {
  retentionSeconds: 300,
  instantMode: false,
  dailyRunLimit: 1,
  defaultModelId: null,
};

function isSettingKey(key: string): key is keyof Settings {
  return Object.hasOwn(stored.shape, key);
}

function isValid(key: keyof Settings, value: unknown): boolean {
  return stored.shape[key].safeParse(value).success;
}

/** Stored values over the defaults; a value a later version wrote that this one rejects is ignored. */
export function readSettings(db: Database): Settings {
  const settings: Record<string, unknown> = { ...DEFAULT_SETTINGS };
  const rows = db.prepare('SELECT key, value FROM settings').all() as {
    key: string;
    value: string;
  }[];
  for (const { key, value } of rows) {
    const parsed: unknown = JSON.parse(value);
    if (isSettingKey(key) && isValid(key, parsed)) settings[key] = parsed;
  }
  return settings as unknown as Settings;
}

/** Validates every value first, so a bad patch changes nothing. */
export function writeSettings(db: Database, patch: Partial<Settings>): Settings {
  for (const [key, value] of Object.entries(patch)) {
    if (!isSettingKey(key)) {
      throw new StoreError(
        'BAD_ARGUMENT',
        `Unknown setting "${key}"; known: ${Object.keys(stored.shape).join(', ')}.`,
      );
    }
    if (!isValid(key, value)) {
      throw new StoreError('BAD_ARGUMENT', `Invalid value for ${key}: ${JSON.stringify(value)}.`);
    }
  }
  const upsert = db.prepare(
    'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  );
  db.transaction(() => {
    for (const [key, value] of Object.entries(patch)) upsert.run(key, JSON.stringify(value));
  })();
  return readSettings(db);
}
