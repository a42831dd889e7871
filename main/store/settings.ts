import type { Database } from 'better-sqlite3';
import { LIMITS, type Range } from '../api/limits.ts';
import { isModelId } from '../models/model-id.ts';
import { StoreError } from './errors.ts';

export interface Settings {
  /** Seconds between a run finishing and its images being deleted: 0 to 86 400 (24 h). */
  readonly retentionSeconds: number;
  /** Delete a run's uploads the moment its last avatar is generated. */
  readonly instantMode: boolean;
  /** Generation runs allowed per local calendar day. */
  readonly dailyRunLimit: number;
  /** The installed model runs use when none is named; null: the first one installed. */
  readonly defaultModelId: string | null;
}

export const DEFAULT_SETTINGS: Settings = {
  retentionSeconds: 300,
  instantMode: false,
  dailyRunLimit: 1,
  defaultModelId: null,
};

const within = (value: unknown, { min, max }: Range): value is number =>
  Number.isInteger(value) && (value as number) >= min && (value as number) <= max;

const VALIDATORS: { readonly [K in keyof Settings]: (value: unknown) => value is Settings[K] } = {
  retentionSeconds: (value): value is number => within(value, LIMITS.retentionSeconds),
  instantMode: (value): value is boolean => typeof value === 'boolean',
  dailyRunLimit: (value): value is number => within(value, LIMITS.dailyRunLimit),
  defaultModelId: (value): value is string | null => value === null || isModelId(value),
};

function isSettingKey(key: string): key is keyof Settings {
  return Object.hasOwn(VALIDATORS, key);
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
    if (isSettingKey(key) && VALIDATORS[key](parsed)) settings[key] = parsed;
  }
  return settings as unknown as Settings;
}

/** Validates every value first, so a bad patch changes nothing. */
export function writeSettings(db: Database, patch: Partial<Settings>): Settings {
  for (const [key, value] of Object.entries(patch)) {
    if (!isSettingKey(key)) {
      throw new StoreError(
        'BAD_ARGUMENT',
        `Unknown setting "${key}"; known: ${Object.keys(VALIDATORS).join(', ')}.`,
      );
    }
    if (!VALIDATORS[key](value)) {
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
