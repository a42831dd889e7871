/**
 * The only network door of the model manager: GET with redirects (the hub answers file URLs with a
 * redirect to its CDN), an AbortSignal, and failures turned into typed errors naming the URL.
 * Nothing calls it unless the user asked for a download.
 */
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { errnoCode, ModelError } from './errors.ts';

const MAX_REDIRECTS = 5;
/** A server that sends nothing for this long is treated as a dropped connection. */
const IDLE_TIMEOUT_MS = 30_000;
const OFFLINE_CODES = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH'];

export const USER_AGENT = 'avatar-studio-model-manager/1';

/** The response of a successful (2xx) GET; the caller reads or discards its body. */
export async function httpGet(
  url: string,
  headers: Record<string, string>,
  signal?: AbortSignal,
): Promise<IncomingMessage> {
  let current = new URL(url);
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const response = await request(current, headers, signal);
    const status = response.statusCode ?? 0;
    const location = response.headers.location;
    if (status >= 300 && status < 400 && location) {
      response.resume();
      current = new URL(location, current);
      continue;
    }
    if (status === 404) {
      response.resume();
      throw new ModelError('NOT_FOUND', `${url} was not found on the server (HTTP 404)`, url);
    }
    if (status === 416 || (status >= 200 && status < 300)) return response;
    response.resume();
    throw new ModelError('HTTP_ERROR', `${url}: the server answered HTTP ${status}`, url);
  }
  throw new ModelError('HTTP_ERROR', `${url}: more than ${MAX_REDIRECTS} redirects`, url);
}

export async function getJson(
  url: string,
  signal?: AbortSignal,
): Promise<{ body: unknown; link?: string }> {
  const response = await httpGet(url, { accept: 'application/json' }, signal);
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of response) chunks.push(chunk as Buffer);
  } catch (error) {
    throw networkError(error, url, signal);
  }
  try {
    const link = response.headers.link;
    return {
      body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
      ...(typeof link === 'string' ? { link } : {}),
    };
  } catch {
    throw new ModelError('HTTP_ERROR', `${url} did not answer with JSON`, url);
  }
}

function request(
  url: URL,
  headers: Record<string, string>,
  signal?: AbortSignal,
): Promise<IncomingMessage> {
  const client = url.protocol === 'https:' ? https : url.protocol === 'http:' ? http : undefined;
  if (!client) {
    return Promise.reject(
      new ModelError('HTTP_ERROR', `${url.href}: only http and https URLs are supported`, url.href),
    );
  }
  return new Promise((resolve, reject) => {
    const req = client.get(
      url,
      { headers: { 'user-agent': USER_AGENT, ...headers }, signal },
      resolve,
    );
    req.setTimeout(IDLE_TIMEOUT_MS, () =>
      req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })),
    );
    req.on('error', (error) => reject(networkError(error, url.href, signal)));
  });
}

/** A network failure as the user should read it; ModelErrors pass through. */
export function networkError(error: unknown, url: string, signal?: AbortSignal): Error {
  if (error instanceof ModelError) return error;
  if (signal?.aborted || (error as Error).name === 'AbortError') {
    return new ModelError('ABORTED', 'download cancelled', url);
  }
  const code = errnoCode(error);
  if (OFFLINE_CODES.includes(code)) {
    return new ModelError(
      'OFFLINE',
      `cannot reach ${new URL(url).host} (${code}): you seem to be offline; import a model folder instead`,
      url,
    );
  }
  return new ModelError(
    'DOWNLOAD_INTERRUPTED',
    `${url}: the connection failed (${code || (error as Error).message})`,
    url,
  );
}
