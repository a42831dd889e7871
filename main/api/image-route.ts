/**
 * Images travel by id, never as paths: both hosts serve `/image/<kind>/<id>` (the loopback host
 * over HTTP, Electron over app://). Imports nothing of Node: the shim and the preload use it too.
 */
import type { ImageRef } from './contract.ts';

export function imagePath(ref: ImageRef): string {
  return `/image/${ref.kind}/${encodeURIComponent(ref.id)}`;
}

/**
 * The unchecked parts of an image path, for validateImageRef at the door; null when the path is
 * not an image route at all. Nothing is decoded: an encoded id (%2e%2e) is simply not an id.
 */
export function imagePathParts(pathname: string): { kind: string; id: string } | null {
  const match = /^\/image\/([^/]*)\/([^/]*)$/.exec(pathname);
  return match ? { kind: match[1] ?? '', id: match[2] ?? '' } : null;
}
