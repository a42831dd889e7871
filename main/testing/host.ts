/**
 * Test helpers for the loopback host: a fake AppService that records what reached it, a renderer
 * folder with a file beside it that must never be served, and raw HTTP requests whose every
 * header (Host included) the test chooses.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApiError, type ApiEvent, type ApiEvents, type ApiHandlers } from '../api/contract.ts';
import type { AppService } from '../app/app-service.ts';
import { SECRET_HEADER, type Host } from '../host/server.ts';

export const PNG_BYTES = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
export const OUTSIDE_SECRET = 'outside-the-renderer-folder';

export interface FakeService extends AppService {
  /** Every [method, params] a handler received. */
  calls: [string, unknown][];
  /** Every model file that reached the service: its job, path and the bytes that arrived. */
  uploads: { jobId: string; path: string; bytes: number; received: number }[];
  listeners: number;
  emit<E extends ApiEvent>(event: E, payload: ApiEvents[E]): void;
}

export function fakeService(): FakeService {
  const listeners = new Set<<E extends ApiEvent>(event: E, payload: ApiEvents[E]) => void>();
  const calls: [string, unknown][] = [];
  const uploads: FakeService['uploads'] = [];
  const handlers: Partial<ApiHandlers> = {
    'photos:check': async ({ photos }) => ({
      verdicts: photos.map(({ name }) => ({ name, ok: true })),
      warnings: [],
      canStart: true,
    }),
    'runs:avatars': async ({ runId }) => {
      throw new ApiError('NOT_FOUND', `No run ${runId}.`);
    },
    'export:avatars': async () => ({
      fileName: 'avatar.png',
      mimeType: 'image/png',
      // What the real export returns: a Buffer, which JSON would otherwise turn into {type, data}.
      bytes: Buffer.from(PNG_BYTES),
    }),
    'models:add': async () => ({ jobId: 'job1' }),
    'models:list': async () => {
      throw new Error('database at /home/someone/secret.sqlite is locked');
    },
  };
  const recording = Object.fromEntries(
    Object.entries(handlers).map(([method, handler]) => [
      method,
      (params: never) => {
        calls.push([method, params]);
        return (handler as (params: never) => Promise<unknown>)(params);
      },
    ]),
  );
  return {
    calls,
    uploads,
    get listeners() {
      return listeners.size;
    },
    handlers: recording as unknown as ApiHandlers,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    emit(event, payload) {
      for (const listener of listeners) listener(event, payload);
    },
    async image(ref) {
      if (ref.kind === 'avatar' && ref.id === 'a1')
        return { bytes: PNG_BYTES, mimeType: 'image/png' };
      throw new ApiError('NOT_FOUND', `No ${ref.kind} image ${ref.id}.`);
    },
    async receiveModelFile(jobId, path, bytes, body) {
      if (jobId !== 'job1') throw new ApiError('NOT_FOUND', `No upload ${jobId}.`);
      let received = 0;
      for await (const chunk of body as AsyncIterable<Buffer>) received += chunk.length;
      uploads.push({ jobId, path, bytes, received });
    },
    async close() {},
  };
}

/** <tmp>/renderer with index.html and assets/app.js, and <tmp>/secret.txt beside it. */
export async function rendererFixture(): Promise<{ rendererDir: string; remove(): Promise<void> }> {
  const root = await mkdtemp(path.join(tmpdir(), 'avatar-host-'));
  const rendererDir = path.join(root, 'renderer');
  await mkdir(path.join(rendererDir, 'assets'), { recursive: true });
  await writeFile(
    path.join(rendererDir, 'index.html'),
    '<!doctype html><script src="/shim.js"></script><script type="module" src="/assets/app.js"></script>',
  );
  await writeFile(path.join(rendererDir, 'assets', 'app.js'), 'console.log("app");');
  await writeFile(path.join(root, 'secret.txt'), OUTSIDE_SECRET);
  return { rendererDir, remove: () => rm(root, { recursive: true, force: true }) };
}

export interface RawReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface RawRequest {
  method?: string;
  /** Default: the secret header. 'none' sends no credential at all. */
  auth?: 'header' | 'none' | { cookie: string };
  /** Replace or (with undefined) remove the defaults: Host, Origin on POST, Content-Type. */
  headers?: Record<string, string | undefined>;
  body?: string;
}

/** One request exactly as given: no path normalisation, any Host header. */
export function rawRequest(
  host: Host,
  target: string,
  options: RawRequest = {},
): Promise<RawReply> {
  const { method = 'GET', auth = 'header', body } = options;
  const headers: Record<string, string | undefined> = {
    host: `127.0.0.1:${host.port}`,
    ...(method === 'POST' && { origin: host.origin, 'content-type': 'application/json' }),
    ...(auth === 'header' && { [SECRET_HEADER]: host.secret }),
    ...(typeof auth === 'object' && { cookie: auth.cookie }),
    ...options.headers,
  };
  const sent = Object.fromEntries(
    Object.entries(headers).filter(([, value]) => value !== undefined),
  );
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: '127.0.0.1',
        port: host.port,
        method,
        path: target,
        headers: sent as Record<string, string>,
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }),
        );
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/** POST /api/<method> with a JSON body, as the shim sends it. */
export function postApi(
  host: Host,
  method: string,
  body: string,
  options: RawRequest = {},
): Promise<RawReply> {
  return rawRequest(host, `/api/${method}`, { ...options, method: 'POST', body });
}
