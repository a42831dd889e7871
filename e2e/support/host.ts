/**
 * Starts the real app behind the loopback host for one spec: a fresh temporary data folder, the
 * tiny random-weight turbo fixture model, small avatars, on the CPU. Runs inside the Playwright
 * worker, so a spec can also look at the data folder on disk.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Settings } from '../../main/api/contract.ts';
import { startAppHost } from '../../main/host/app-host.ts';
import { decodeJson, encodeJson } from '../../main/api/codec.ts';
import { SECRET_HEADER } from '../../main/host/server.ts';
import { fixtureModel } from '../../scripts/fixtures/cache.ts';

/** Avatars this many pixels wide: the fixture model makes noise anyway, small is fast. */
export const E2E_AVATAR_SIZE = 64;

export interface TestHost {
  /** The address that admits the browser (carries the per-launch secret). */
  url: string;
  origin: string;
  dataDir: string;
  /** Calls the api as the page would, from the test (for setup, never for what a spec proves). */
  call<T>(method: string, params?: object): Promise<T>;
  /** Every file under the data folder, relative paths. */
  files(): Promise<string[]>;
  /** The encrypted uploads and avatars on disk (under images/). */
  imageFiles(): Promise<string[]>;
  close(): Promise<void>;
}

export interface TestHostOptions {
  /** Default true: the turbo fixture model, as if installed. */
  withModel?: boolean;
  size?: number;
  /** A model catalogue file (default the app's own, whose downloads no spec starts). */
  catalog?: string;
  /** A style catalogue file (default models/styles.json): styles that name LoRAs, say. */
  styles?: string;
}

export async function startTestHost(
  settings: Partial<Settings> = {},
  { withModel = true, size = E2E_AVATAR_SIZE, catalog, styles }: TestHostOptions = {},
): Promise<TestHost> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'avatar-e2e-'));
  const host = await startAppHost({
    dataDir,
    ...(withModel && { model: await fixtureModel('turbo') }),
    ...(catalog && { catalog }),
    ...(styles && { styles }),
    provider: 'cpu',
    size,
  });
  const call = async <T>(method: string, params: object = {}): Promise<T> => {
    const response = await fetch(`${host.origin}/api/${method}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        origin: host.origin,
        [SECRET_HEADER]: host.secret,
      },
      body: encodeJson(params),
    });
    const body = decodeJson(await response.text()) as { result?: T; error?: { message: string } };
    if (!response.ok) throw new Error(`${method}: ${body.error?.message ?? response.status}`);
    return body.result as T;
  };
  if (Object.keys(settings).length > 0) await call('settings:update', settings);
  return {
    url: host.url,
    origin: host.origin,
    dataDir,
    call,
    files: () => listFiles(dataDir),
    imageFiles: async () => (await listFiles(dataDir)).filter((file) => file.startsWith('images')),
    async close() {
      await host.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function listFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)));
}
