import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ENTRY = fileURLToPath(new URL('../page/page.ts', import.meta.url));

/**
 * /shim.js: the page's preload as one plain script, bundled from its TypeScript sources when the
 * host starts (~50 ms), so the shim and the api it wraps can never drift apart.
 */
export async function bundleShim(): Promise<string> {
  const result = await build({
    entryPoints: [ENTRY],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    legalComments: 'none',
    logLevel: 'silent',
  });
  const [output] = result.outputFiles;
  if (!output) throw new Error('esbuild produced no shim');
  return output.text;
}
