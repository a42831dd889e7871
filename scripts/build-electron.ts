/**
 * Bundles the Electron shell into dist/electron, the layout electron-builder.yml packages:
 * - main.js: the main process (ESM); node_modules stay external, so native modules load from
 *   where electron-builder unpacks them, and paths relative to the bundle (models/, the renderer)
 *   resolve as they do from the sources, two folders down from the app's root;
 * - worker.js and vision-worker.js: the engine's and the vision models' worker threads, which
 *   their clients start from beside the bundle;
 * - preload.cjs: a sandboxed preload must be one CommonJS file that requires only 'electron'.
 *   tsx scripts/build-electron.ts
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export const ELECTRON_OUT_DIR = fileURLToPath(new URL('../dist/electron', import.meta.url));

const source = (file: string) => fileURLToPath(new URL(file, import.meta.url));

export async function buildElectron(outDir: string = ELECTRON_OUT_DIR): Promise<void> {
  await Promise.all([
    build({
      entryPoints: {
        main: source('../main/electron/main.ts'),
        worker: source('../main/engine/worker.ts'),
        'vision-worker': source('../main/vision/vision-worker.ts'),
      },
      outdir: outDir,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      logLevel: 'warning',
    }),
    build({
      entryPoints: [source('../main/preload/preload.ts')],
      outfile: path.join(outDir, 'preload.cjs'),
      bundle: true,
      platform: 'browser',
      format: 'cjs',
      target: 'chrome120',
      external: ['electron'],
      logLevel: 'warning',
    }),
  ]);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  buildElectron().then(
    () => console.log(`Built the Electron shell into ${ELECTRON_OUT_DIR}`),
    (error: unknown) => {
      console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
