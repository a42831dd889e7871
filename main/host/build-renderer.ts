/**
 * Builds the UI into dist/renderer (RENDERER_DIR), as `npm run build:renderer` does: for
 * `npm run dev` on a fresh clone and for the e2e suite. Vite is a dev dependency, so it is loaded
 * here only, when a build is needed.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RENDERER_DIR } from './app-host.ts';

const VITE_CONFIG = fileURLToPath(new URL('../../renderer/vite.config.ts', import.meta.url));

export async function buildRenderer(): Promise<void> {
  const { build } = await import('vite');
  await build({ configFile: VITE_CONFIG, logLevel: 'warn' });
}

/** Builds it only when dist/renderer has no index.html; says so first. */
export async function ensureRendererBuilt(log: (line: string) => void): Promise<void> {
  if (existsSync(path.join(RENDERER_DIR, 'index.html'))) return;
  log('The UI is not built yet: building it into dist/renderer first…');
  await buildRenderer();
}
