/**
 * The whole app behind the loopback host: what `npm start` runs where Electron cannot, what
 * `npm run dev` serves and what the e2e suite starts for each spec.
 */
import { access } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AppServiceOptions } from '../app/app-service.ts';
import { createAppService } from '../app/create-app-service.ts';
import { type Host, startHost } from './server.ts';

/** Where `vite build` writes the UI (renderer/vite.config.ts). */
export const RENDERER_DIR = fileURLToPath(new URL('../../dist/renderer', import.meta.url));

export interface AppHostOptions extends AppServiceOptions {
  /** Default: RENDERER_DIR. */
  rendererDir?: string;
  /** Default 0: a free port. */
  port?: number;
}

/** Starts the service and the host on it; close() stops both. */
export async function startAppHost(options: AppHostOptions = {}): Promise<Host> {
  const { rendererDir = RENDERER_DIR, port = 0, ...serviceOptions } = options;
  await access(path.join(rendererDir, 'index.html')).catch(() => {
    throw new Error(
      `The UI is not built (no ${path.join(rendererDir, 'index.html')}): run \`npx vite build -c renderer/vite.config.ts\` first.`,
    );
  });
  // The page here has no native dialog: it streams a model it adds (upload-route.ts).
  const service = await createAppService({ ...serviceOptions, modelUploads: true });
  try {
    const host = await startHost({ service, rendererDir, port });
    return {
      ...host,
      async close() {
        await host.close();
        await service.close();
      },
    };
  } catch (error) {
    await service.close();
    throw error;
  }
}
