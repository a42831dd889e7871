/**
 * Test helper: an HTTP server on 127.0.0.1 serving a model folder with Range support, plus the
 * faults a real network has (a connection dropped mid-file, wrong bytes, 404, a slow link, a
 * server that ignores Range), and a catalogue pointing at it.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { listModelFiles, sha256File } from '../models/manifest.ts';

export interface Faults {
  /** The next request for this file is cut after about this many bytes of body. */
  dropOnce?: { file: string; afterBytes: number };
  /** Files served with one byte flipped. */
  corrupt?: Set<string>;
  /** Files answered with 404. */
  missing?: Set<string>;
  /** Bytes per 10 ms tick; undefined: as fast as possible. */
  slowBytesPerTick?: number;
  /** Answer a Range request with the whole file (200), as some servers do. */
  ignoreRange?: boolean;
}

export interface ServedRequest {
  file: string;
  range: string | undefined;
}

export interface ModelServer {
  baseUrl: string;
  faults: Faults;
  requests: ServedRequest[];
  close(): Promise<void>;
}

export async function serveFolder(dir: string, faults: Faults = {}): Promise<ModelServer> {
  const requests: ServedRequest[] = [];
  const server = http.createServer((req, res) => {
    void (async () => {
      const file = decodeURIComponent(new URL(req.url!, 'http://x').pathname.slice(1));
      requests.push({ file, range: req.headers.range });
      if (faults.missing?.has(file) || file.includes('..')) {
        res.writeHead(404).end();
        return;
      }
      let body: Buffer;
      try {
        body = await readFile(path.join(dir, file));
      } catch {
        res.writeHead(404).end();
        return;
      }
      if (faults.corrupt?.has(file)) {
        body = Buffer.from(body);
        const middle = body.length >> 1;
        body[middle] = body[middle]! ^ 0xff;
      }
      const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      let start = 0;
      if (range && !faults.ignoreRange) {
        start = Number(range[1]);
        if (start >= body.length) {
          res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
          return;
        }
        res.writeHead(206, {
          'content-length': body.length - start,
          'content-range': `bytes ${start}-${body.length - 1}/${body.length}`,
          'accept-ranges': 'bytes',
        });
      } else {
        res.writeHead(200, { 'content-length': body.length, 'accept-ranges': 'bytes' });
      }
      let rest = body.subarray(start);
      const drop = faults.dropOnce?.file === file ? faults.dropOnce : undefined;
      if (drop) {
        delete faults.dropOnce;
        res.write(rest.subarray(0, drop.afterBytes), () => res.destroy());
        return;
      }
      const tick = faults.slowBytesPerTick;
      if (!tick) {
        res.end(rest);
        return;
      }
      while (rest.length > 0 && !res.destroyed) {
        res.write(rest.subarray(0, tick));
        rest = rest.subarray(tick);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      res.end();
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/`,
    faults,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A diffusers entry's TAESD add-on: the weights folder `dir` (config.json, safetensors) served at `baseUrl`. */
export interface AddonFixture {
  dir: string;
  baseUrl: string;
}

export interface CatalogFixture {
  /** What `dir` holds: an ONNX model folder (default) or a diffusers folder of safetensors. */
  format?: 'onnx' | 'diffusers';
  addon?: AddonFixture;
}

/**
 * A catalogue file with one model, `id`, whose files are `dir`'s, served from `baseUrl`; with an
 * add-on, `${id}-taesd`, whose files go into taesd/ (a diffusers add-on's place).
 */
export async function writeCatalogFor(
  catalogFile: string,
  id: string,
  dir: string,
  baseUrl: string,
  fixture: CatalogFixture = {},
): Promise<void> {
  const files = await catalogFiles(dir);
  const entry = {
    id,
    name: `Fixture ${id}`,
    kind: 'model',
    ...(fixture.format ? { format: fixture.format } : {}),
    family: 'turbo',
    license: 'MIT',
    recommended: { steps: 2, strength: 0.5, guidance: 0 },
    totalBytes: files.reduce((n, f) => n + f.size, 0),
    source: { baseUrl },
    files,
    ...(fixture.addon ? { addons: [`${id}-taesd`] } : {}),
  };
  const models: object[] = [entry];
  if (fixture.addon) {
    const addonFiles = (await catalogFiles(fixture.addon.dir)).map((f) => ({
      ...f,
      path: `taesd/${f.path}`,
      from: f.path,
    }));
    models.push({
      id: `${id}-taesd`,
      name: `Fixture ${id} TAESD`,
      kind: 'addon',
      ...(fixture.format ? { format: fixture.format } : {}),
      family: null,
      license: 'MIT',
      totalBytes: addonFiles.reduce((n, f) => n + f.size, 0),
      source: { baseUrl: fixture.addon.baseUrl },
      files: addonFiles,
    });
  }
  await writeFile(catalogFile, JSON.stringify({ formatVersion: 1, models }, null, 2));
}

async function catalogFiles(
  dir: string,
): Promise<{ path: string; size: number; sha256: string }[]> {
  const files = [];
  for (const relative of await listModelFiles(dir)) {
    const full = path.join(dir, relative);
    const { size } = await stat(full);
    files.push({ path: relative, size, sha256: await sha256File(full) });
  }
  return files;
}
