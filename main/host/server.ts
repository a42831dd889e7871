/**
 * The api on 127.0.0.1 for a browser instead of Electron: the page's files, /shim.js (its
 * preload), POST /api/<method>, GET /api/events (Server-Sent Events), images by id and
 * PUT /upload/model/<jobId>/<path> (the files of a model the page uploads, as it has no dialog).
 *
 * Who may call: only a page that loaded the URL this host printed. That URL carries a per-launch
 * secret (`/?s=SECRET`); its first load trades it for an HttpOnly, SameSite=Strict cookie and
 * redirects to a clean `/`, so the secret never sits in the address bar, in a Referer or within
 * reach of the page's scripts, while fetch, EventSource and <img> carry it on their own. Every
 * other request needs that cookie (or the X-Avatar-Studio-Secret header, for scripts and tests),
 * a Host of exactly 127.0.0.1:PORT or localhost:PORT (no DNS rebinding), no foreign Origin (and
 * an own Origin on every POST and PUT) and no cross-site fetch metadata: another local page or
 * process cannot drive it.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { parse as parseCookie, serialize as serializeCookie } from 'cookie';
import type { AddressInfo } from 'node:net';
import type { ApiErrorCode, ApiErrorShape, Outcome } from '../api/contract.ts';
import type { AppService } from '../app/app-service.ts';
import { callApi, httpStatus, loadImage, storeModelFile } from './api-door.ts';
import { decodeJson, encodeJson } from '../api/codec.ts';
import { imagePathParts } from '../api/image-route.ts';
import { JsonShapeMeter, MODEL_FILE_BODY, bodyLimit } from './request-limits.ts';
import { SECURITY_HEADERS } from './security.ts';
import { bundleShim } from './shim-bundle.ts';
import { mimeType, staticFilePath } from './static-files.ts';
import { uploadPathParts } from '../api/upload-route.ts';

export interface HostOptions {
  service: AppService;
  /** The built renderer: index.html and its assets. */
  rendererDir: string;
  /** Default 0: a free port chosen by the system. */
  port?: number;
  /** Default: 32 random bytes, new on every launch. */
  secret?: string;
  /** A ceiling over every method's own limit (request-limits.ts); for tests. */
  maxBodyBytes?: number;
}

export interface Host {
  /** The one address that admits a browser: open it, never share it. */
  url: string;
  origin: string;
  port: number;
  secret: string;
  close(): Promise<void>;
}

export const SECRET_HEADER = 'x-avatar-studio-secret';
/** Keeps idle event streams open through proxies and sleep-happy network stacks. */
const HEARTBEAT_MS = 20_000;
/**
 * The longest a request may take to arrive whole (Node's default is 5 minutes): a 7 GB checkpoint
 * uploaded to a slow disk takes longer. A stalled upload is ended sooner by its job (a minute
 * without a byte, model-upload.ts).
 */
const REQUEST_TIMEOUT_MS = 2 * 60 * 60 * 1000;

const REFUSAL_CODES: Readonly<Record<number, ApiErrorCode>> = {
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  413: 'TOO_LARGE',
};

/** A request refused before it reaches the api: its status and an error for the page. */
class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: ApiErrorCode = REFUSAL_CODES[status] ?? 'BAD_REQUEST',
  ) {
    super(message);
  }
}

export async function startHost(options: HostOptions): Promise<Host> {
  const { service, rendererDir } = options;
  const secret = options.secret ?? randomBytes(32).toString('base64url');
  const maxBodyBytes = options.maxBodyBytes ?? Infinity;
  const shim = await bundleShim();
  const streams = new Set<ServerResponse>();

  const server = http.createServer((request, response) => {
    route(request, response).catch((error: unknown) => {
      if (error instanceof Refusal) {
        return sendError(response, error.status, { code: error.code, message: error.message });
      }
      // A client that went away mid-request (a closed tab, a cancelled upload) is no fault here.
      if (request.destroyed || response.destroyed) return void response.destroy();
      console.error('Avatar Studio host: request failed:', error);
      const message = 'Something went wrong inside Avatar Studio; its log has the details.';
      sendError(response, 500, { code: 'INTERNAL', message });
    });
  });
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  const hosts = [`127.0.0.1:${port}`, `localhost:${port}`];
  const origins = hosts.map((host) => `http://${host}`);
  // Port in the name: cookies ignore ports, and two launches must not overwrite each other's.
  const cookieName = `avatar-studio-${port}`;

  async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const target = request.url ?? '';
    const queryStart = target.includes('?') ? target.indexOf('?') : target.length;
    const pathname = target.slice(0, queryStart);
    const query = new URLSearchParams(target.slice(queryStart + 1));
    if (!hosts.includes(request.headers.host ?? '')) throw new Refusal(403, 'Unknown Host.');
    if (!pathname.startsWith('/')) throw new Refusal(400, 'Malformed request path.');
    const offered = query.get('s');
    if (request.method === 'GET' && pathname === '/' && offered !== null)
      return admit(offered, response);
    checkCaller(request);

    const upload = uploadPathParts(pathname);
    if (upload) return receiveUpload(request, response, upload);
    if (request.method === 'POST' && pathname.startsWith('/api/')) {
      const method = pathname.slice('/api/'.length);
      return answer(response, await callApi(service, method, await readJson(request, method)));
    }
    if (request.method !== 'GET') throw new Refusal(405, `${request.method} is not served here.`);
    if (pathname === '/shim.js') return send(response, 200, 'text/javascript; charset=utf-8', shim);
    if (pathname === '/api/events') return streamEvents(request, response);
    const image = imagePathParts(pathname);
    if (image) {
      const outcome = await loadImage(service, image);
      if (!outcome.ok) return answer(response, outcome);
      return send(response, 200, outcome.result.mimeType, outcome.result.bytes);
    }
    return serveFile(pathname, response);
  }

  /** The first load: trade the URL's secret for the cookie, then drop it from the address bar. */
  function admit(offered: string, response: ServerResponse): void {
    if (!sameSecret(offered))
      throw new Refusal(403, 'This address is from another launch of Avatar Studio.');
    response.writeHead(303, {
      ...SECURITY_HEADERS,
      location: '/',
      'set-cookie': serializeCookie(cookieName, secret, {
        httpOnly: true,
        sameSite: 'strict',
        path: '/',
      }),
    });
    response.end();
  }

  function checkCaller(request: IncomingMessage): void {
    const offered =
      request.headers[SECRET_HEADER] ?? parseCookie(request.headers.cookie ?? '')[cookieName];
    if (typeof offered !== 'string' || !sameSecret(offered)) {
      throw new Refusal(
        403,
        'Not signed in: open the address Avatar Studio printed when it started.',
      );
    }
    const requestOrigin = request.headers.origin;
    if (requestOrigin !== undefined && !origins.includes(requestOrigin))
      throw new Refusal(403, 'Foreign Origin.');
    // Browsers send Origin with every method but GET and HEAD; one without is not our page's.
    if (request.method !== 'GET' && request.method !== 'HEAD' && requestOrigin === undefined)
      throw new Refusal(403, 'Missing Origin.');
    // Cookies ignore ports, so a page on another local port is "same-site": only same-origin
    // requests (or the user's own navigation, 'none') may use ours.
    const site = request.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin' && site !== 'none')
      throw new Refusal(403, 'Cross-site request.');
  }

  function sameSecret(offered: string): boolean {
    const a = Buffer.from(offered);
    const b = Buffer.from(secret);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  async function readJson(request: IncomingMessage, method: string): Promise<unknown> {
    if (!(request.headers['content-type'] ?? '').startsWith('application/json')) {
      throw new Refusal(415, 'The request body must be JSON.');
    }
    const body = await readBody(request, Math.min(bodyLimit(method), maxBodyBytes));
    try {
      return decodeJson(body.toString('utf8'));
    } catch {
      throw new Refusal(400, 'The request body is not valid JSON.');
    }
  }

  /**
   * One file of a model the page uploads: its exact length declared up front and capped on its
   * own (MODEL_FILE_BODY, not a JSON body's), then streamed to disk by the service as it arrives.
   */
  async function receiveUpload(
    request: IncomingMessage,
    response: ServerResponse,
    target: { jobId: string; path: string },
  ): Promise<void> {
    if (request.method !== 'PUT') throw new Refusal(405, `${request.method} is not served here.`);
    // A refusal closes the connection rather than read gigabytes nobody wants to the end.
    response.setHeader('connection', 'close');
    if (request.headers['content-type'] !== 'application/octet-stream') {
      throw new Refusal(415, 'A model file is sent as application/octet-stream.');
    }
    const length = request.headers['content-length'];
    if (request.headers['transfer-encoding'] !== undefined || !/^\d{1,16}$/.test(length ?? '')) {
      throw new Refusal(411, 'A model file is sent with its Content-Length.');
    }
    const limit = Math.min(MODEL_FILE_BODY, maxBodyBytes);
    if (Number(length) > limit) {
      throw new Refusal(413, `A model file may be at most ${limit} bytes.`);
    }
    const outcome = await storeModelFile(service, target, Number(length), request);
    if (outcome.ok) response.removeHeader('connection');
    answer(response, outcome);
  }

  function streamEvents(request: IncomingMessage, response: ServerResponse): void {
    response.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
    });
    response.write(': connected\n\n');
    streams.add(response);
    const unsubscribe = service.subscribe((event, payload) => {
      response.write(`event: ${event}\ndata: ${encodeJson(payload)}\n\n`);
    });
    const heartbeat = setInterval(() => response.write(': ping\n\n'), HEARTBEAT_MS).unref();
    request.on('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
      streams.delete(response);
    });
  }

  async function serveFile(pathname: string, response: ServerResponse): Promise<void> {
    const file = staticFilePath(rendererDir, pathname);
    if (!file) throw new Refusal(404, 'Not found.');
    const info = await stat(file).catch(() => null);
    if (!info?.isFile()) throw new Refusal(404, 'Not found.');
    response.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': mimeType(file),
      'content-length': info.size,
    });
    createReadStream(file).pipe(response);
  }

  return {
    url: `${origin}/?s=${secret}`,
    origin,
    port,
    secret,
    close: () =>
      new Promise<void>((resolve) => {
        for (const stream of streams) stream.end();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * Reads a JSON body up to `limit` bytes and within JSON_LIMITS; a larger one, or one holding more
 * values or nesting than any request needs, is refused (413) as soon as it shows, not once all of
 * it has arrived.
 */
async function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = new Refusal(413, `The request is larger than ${limit} bytes.`);
  if (Number(request.headers['content-length'] ?? 0) > limit) throw tooLarge;
  const meter = new JsonShapeMeter();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge;
    const fault = meter.feed(chunk);
    if (fault) {
      const what = fault === 'too-deep' ? 'is nested deeper' : 'holds more values';
      throw new Refusal(413, `The request body ${what} than any request needs.`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function answer(response: ServerResponse, outcome: Outcome<unknown>): void {
  if (outcome.ok)
    return send(response, 200, 'application/json', encodeJson({ result: outcome.result }));
  sendError(response, httpStatus(outcome.error), outcome.error);
}

function sendError(response: ServerResponse, status: number, error: ApiErrorShape): void {
  if (response.headersSent) return void response.destroy();
  // A refused upload may still be arriving: close rather than read the rest of it.
  if (status === 413) response.setHeader('connection', 'close');
  send(response, status, 'application/json', encodeJson({ error }));
}

function send(
  response: ServerResponse,
  status: number,
  type: string,
  body: string | Uint8Array,
): void {
  response.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': type,
    'content-length': Buffer.byteLength(body),
  });
  response.end(body);
}
