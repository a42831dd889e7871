import { readFile } from 'node:fs/promises';
import type { AppService } from '../app/app-service.ts';
import { httpStatus, loadImage } from '../host/api-door.ts';
import { imagePathParts } from '../api/image-route.ts';
import { SECURITY_HEADERS } from '../host/security.ts';
import { mimeType, staticFilePath } from '../host/static-files.ts';
import { APP_HOST } from '../api/app-origin.ts';

/**
 * app://avatar-studio/…: the renderer's files and images by id, with the loopback host's CSP and
 * checks; the page never sees a file:// path.
 */
export function appProtocolHandler(service: AppService, rendererDir: string) {
  return async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    if (url.host !== APP_HOST || request.method !== 'GET') return empty(404);
    // index.html loads the loopback host's shim; here the preload has already done its work.
    if (url.pathname === '/shim.js')
      return file('// window.avatarStudio comes from the preload.\n', 'shim.js');
    const image = imagePathParts(url.pathname);
    if (image) {
      const outcome = await loadImage(service, image);
      if (!outcome.ok) return empty(httpStatus(outcome.error));
      return new Response(outcome.result.bytes, {
        headers: { ...SECURITY_HEADERS, 'content-type': outcome.result.mimeType },
      });
    }
    const path = staticFilePath(rendererDir, url.pathname);
    const bytes = path && (await readFile(path).catch(() => null));
    return path && bytes ? file(bytes, path) : empty(404);
  };
}

function file(body: string | Uint8Array, path: string): Response {
  return new Response(body, { headers: { ...SECURITY_HEADERS, 'content-type': mimeType(path) } });
}

function empty(status: number): Response {
  return new Response(null, { status, headers: SECURITY_HEADERS });
}
