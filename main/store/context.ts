import type { Database } from 'better-sqlite3';
import type { Clock } from './clock.ts';
import type { EncryptedImages } from './crypto-files.ts';

/** What every store operation works on; built once by openStore. */
export interface StoreContext {
  readonly dataDir: string;
  readonly db: Database;
  readonly clock: Clock;
  readonly images: EncryptedImages;
  /** This open store's id (its owner lock, owners.ts), recorded with the runs it starts. */
  readonly instance: string;
}
