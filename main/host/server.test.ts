import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { decodeJson, encodeJson } from '../api/codec.ts';
import { type Host, SECRET_HEADER, startHost } from './server.ts';
import {
  type FakeService,
  OUTSIDE_SECRET,
  PNG_BYTES,
  fakeService,
  postApi,
  rawRequest,
  rendererFixture,
} from '../testing/host.ts';

let host: Host;
let service: FakeService;
let removeRenderer: () => Promise<void>;

before(async () => {
  const { rendererDir, remove } = await rendererFixture();
  removeRenderer = remove;
  service = fakeService();
  host = await startHost({ service, rendererDir, maxBodyBytes: 1024 });
});
after(async () => {
  await host.close();
  await removeRenderer();
});

function errorOf(reply: { body: string }): { code: string; message: string } {
  return (JSON.parse(reply.body) as { error: { code: string; message: string } }).error;
}

describe('the first load', () => {
  test('listens on 127.0.0.1 on a port of its own, with a long random secret', () => {
    assert.match(host.url, /^http:\/\/127\.0\.0\.1:\d+\/\?s=[A-Za-z0-9_-]{43}$/);
    assert.notEqual(host.port, 0);
  });

  test('trades the secret for an HttpOnly SameSite=Strict cookie and a clean URL', async () => {
    const reply = await rawRequest(host, `/?s=${host.secret}`, { auth: 'none' });
    assert.equal(reply.status, 303);
    assert.equal(reply.headers.location, '/');
    const [cookie = ''] = reply.headers['set-cookie'] ?? [];
    assert.match(cookie, new RegExp(`^avatar-studio-${host.port}=${host.secret}; `));
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);

    const page = await rawRequest(host, '/', { auth: { cookie: cookie.split(';')[0] ?? '' } });
    assert.equal(page.status, 200);
    assert.match(page.headers['content-type'] ?? '', /^text\/html/);
    assert.match(page.body, /<script src="\/shim.js">/);
  });

  test('refuses a wrong secret, and the right one under a foreign Host', async () => {
    assert.equal((await rawRequest(host, '/?s=guess', { auth: 'none' })).status, 403);
    const rebound = await rawRequest(host, `/?s=${host.secret}`, {
      auth: 'none',
      headers: { host: `evil.example:${host.port}` },
    });
    assert.equal(rebound.status, 403);
  });
});

describe('every other request', () => {
  test('needs the secret', async () => {
    for (const target of ['/', '/index.html', '/shim.js', '/api/events', '/image/avatar/a1']) {
      const reply = await rawRequest(host, target, { auth: 'none' });
      assert.equal(reply.status, 403, target);
      assert.equal(errorOf(reply).code, 'FORBIDDEN');
    }
    const post = await postApi(host, 'photos:check', '{"photos":[]}', { auth: 'none' });
    assert.equal(post.status, 403);
    const wrongCookie = await rawRequest(host, '/', {
      auth: { cookie: `avatar-studio-${host.port}=x` },
    });
    assert.equal(wrongCookie.status, 403);
    assert.equal(service.calls.length, 0);
  });

  test('needs a Host of exactly 127.0.0.1:PORT or localhost:PORT (no DNS rebinding)', async () => {
    for (const hostHeader of [
      `evil.example:${host.port}`,
      '127.0.0.1',
      `127.0.0.1:${host.port + 1}`,
    ]) {
      const reply = await rawRequest(host, '/', { headers: { host: hostHeader } });
      assert.equal(reply.status, 403, hostHeader);
    }
    const post = await postApi(host, 'photos:check', '{"photos":[]}', {
      headers: { host: `evil.example:${host.port}` },
    });
    assert.equal(post.status, 403);
    assert.equal(
      (await rawRequest(host, '/', { headers: { host: `localhost:${host.port}` } })).status,
      200,
    );
  });

  test('refuses a foreign Origin, a POST without one and cross-site fetch metadata', async () => {
    for (const origin of ['http://evil.example', `http://127.0.0.1:${host.port + 1}`, 'null']) {
      const post = await postApi(host, 'photos:check', '{"photos":[]}', { headers: { origin } });
      assert.equal(post.status, 403, origin);
      assert.equal(
        (await rawRequest(host, '/api/events', { headers: { origin } })).status,
        403,
        origin,
      );
    }
    const noOrigin = await postApi(host, 'photos:check', '{"photos":[]}', {
      headers: { origin: undefined },
    });
    assert.equal(noOrigin.status, 403);
    const sameSite = await rawRequest(host, '/image/avatar/a1', {
      headers: { 'sec-fetch-site': 'same-site' },
    });
    assert.equal(sameSite.status, 403);
    assert.equal(service.calls.length, 0);
  });
});

describe('the page and its files', () => {
  test('come with a strict CSP and the other security headers', async () => {
    const reply = await rawRequest(host, '/');
    const csp = String(reply.headers['content-security-policy']);
    for (const directive of [
      "default-src 'self'",
      "script-src 'self'",
      "connect-src 'self'",
      "img-src 'self' blob: data:",
      "frame-ancestors 'none'",
    ]) {
      assert.ok(csp.includes(directive), directive);
    }
    assert.doesNotMatch(csp, /unsafe-eval|script-src[^;]*unsafe-inline/);
    assert.equal(reply.headers['x-content-type-options'], 'nosniff');
    assert.equal(reply.headers['referrer-policy'], 'no-referrer');
    assert.equal(reply.headers['cache-control'], 'no-store');
  });

  test('are served with their MIME types; the shim is plain JavaScript', async () => {
    const app = await rawRequest(host, '/assets/app.js');
    assert.equal(app.status, 200);
    assert.equal(app.headers['content-type'], 'text/javascript; charset=utf-8');
    const shim = await rawRequest(host, '/shim.js');
    assert.equal(shim.status, 200);
    assert.equal(shim.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.match(shim.body, /avatarStudio/);
    assert.doesNotMatch(shim.body, /\bimport\b.*from/);
  });

  test('never leave the renderer folder', async () => {
    for (const target of [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/..%5csecret.txt',
      '/%00',
      '/%E0%A4%A',
      '/missing.js',
      '/assets',
    ]) {
      const reply = await rawRequest(host, target);
      assert.equal(reply.status, 404, target);
      assert.ok(!reply.body.includes(OUTSIDE_SECRET), target);
    }
  });

  test('refuse other methods', async () => {
    const headers = { origin: host.origin };
    assert.equal((await rawRequest(host, '/', { method: 'PUT', headers })).status, 405);
    assert.equal((await rawRequest(host, '/', { method: 'DELETE', headers })).status, 405);
    // Browsers send Origin with every method but GET and HEAD: one without is not our page.
    assert.equal((await rawRequest(host, '/', { method: 'DELETE' })).status, 403);
  });
});

describe('the api', () => {
  test('answers a good call, bytes encoded both ways', async () => {
    const request = { photos: [{ name: 'me.png', bytes: PNG_BYTES }] };
    const reply = await postApi(host, 'photos:check', encodeJson(request));
    assert.equal(reply.status, 200);
    assert.deepEqual(JSON.parse(reply.body), {
      result: { verdicts: [{ name: 'me.png', ok: true }], warnings: [], canStart: true },
    });
    const [method, params] = service.calls.at(-1) ?? [];
    assert.equal(method, 'photos:check');
    assert.deepEqual(params, { photos: [{ name: 'me.png', bytes: PNG_BYTES }] });

    const exported = await postApi(
      host,
      'export:avatars',
      JSON.stringify({ avatarIds: ['a1'], size: 256, format: 'png', circle: false }),
    );
    assert.equal(exported.status, 200);
    const { result } = decodeJson(exported.body) as { result: { bytes: Uint8Array } };
    assert.deepEqual(result.bytes, PNG_BYTES);
  });

  test('works with the cookie the first load set, as a browser sends it', async () => {
    const reply = await postApi(host, 'photos:check', '{"photos":[]}', {
      auth: { cookie: `other=1; avatar-studio-${host.port}=${host.secret}` },
    });
    assert.equal(reply.status, 200);
  });

  test('refuses malformed requests at the door with BAD_REQUEST, before any handler', async () => {
    const before = service.calls.length;
    const cases: [string, string][] = [
      ['photos:check', '{"photos":'],
      ['photos:check', ''],
      ['no:such', '{}'],
      ['__proto__', '{}'],
      ['runs:avatars', '{"runId":"../../etc/passwd"}'],
      ['runs:avatars', '{"runId":"a1","extra":true}'],
      ['photos:check', '{"photos":[{"name":"a/b.png","bytes":{"$bytes":"AA=="}}]}'],
      ['photos:check', '{"photos":[{"name":"a.png","bytes":"not bytes"}]}'],
    ];
    for (const [method, body] of cases) {
      const reply = await postApi(host, method, body);
      assert.equal(reply.status, 400, `${method} ${body}`);
      assert.equal(errorOf(reply).code, 'BAD_REQUEST');
    }
    assert.equal(service.calls.length, before);
  });

  test('refuses a body that is not JSON or too large', async () => {
    const text = await postApi(host, 'photos:check', '{}', {
      headers: { 'content-type': 'text/plain' },
    });
    assert.equal(text.status, 415);
    const declared = await postApi(host, 'photos:check', '{}', {
      headers: { 'content-length': '100000' },
    });
    assert.equal(declared.status, 413);
    const streamed = await postApi(
      host,
      'photos:check',
      `{"photos":[],"pad":"${'x'.repeat(2000)}"}`,
      {
        headers: { 'transfer-encoding': 'chunked' },
      },
    );
    assert.equal(streamed.status, 413);
  });

  test('passes typed errors through and hides unexpected ones', async () => {
    const missing = await postApi(host, 'runs:avatars', '{"runId":"r1"}');
    assert.equal(missing.status, 404);
    assert.deepEqual(errorOf(missing), { code: 'NOT_FOUND', message: 'No run r1.' });

    const originalError = console.error;
    console.error = () => {};
    try {
      const broken = await postApi(host, 'models:list', '{}');
      assert.equal(broken.status, 500);
      assert.equal(errorOf(broken).code, 'INTERNAL');
      assert.doesNotMatch(broken.body, /secret\.sqlite/);
    } finally {
      console.error = originalError;
    }
  });
});

describe('events', () => {
  test('stream the service events as Server-Sent Events until the page goes', async () => {
    const received = new Promise<string>((resolve, reject) => {
      const request = http.get(
        {
          host: '127.0.0.1',
          port: host.port,
          path: '/api/events',
          headers: { [SECRET_HEADER]: host.secret, host: `127.0.0.1:${host.port}` },
        },
        (response) => {
          assert.equal(response.headers['content-type'], 'text/event-stream; charset=utf-8');
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            text += chunk;
            if (text.includes('\n\n') && service.listeners === 1 && !text.includes('event:')) {
              service.emit('run:progress', {
                runId: 'r1',
                phase: 'generating',
                avatarsDone: 1,
                avatarsTotal: 3,
                blocked: 0,
              });
            }
            if (text.includes('event: run:progress\n')) {
              request.destroy();
              resolve(text);
            }
          });
        },
      );
      request.on('error', reject);
    });
    const text = await received;
    const data = /event: run:progress\ndata: (.*)\n\n/.exec(text)?.[1] ?? '';
    assert.deepEqual(JSON.parse(data), {
      runId: 'r1',
      phase: 'generating',
      avatarsDone: 1,
      avatarsTotal: 3,
      blocked: 0,
    });
    // The page left: its listener goes with it.
    for (let i = 0; i < 500 && service.listeners > 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    assert.equal(service.listeners, 0);
  });
});

describe('images', () => {
  test('are served by id with their type', async () => {
    const reply = await new Promise<{ status: number; type: string; bytes: Buffer }>(
      (resolve, reject) => {
        http
          .get(
            {
              host: '127.0.0.1',
              port: host.port,
              path: '/image/avatar/a1',
              headers: { [SECRET_HEADER]: host.secret },
            },
            (response) => {
              const chunks: Buffer[] = [];
              response.on('data', (chunk: Buffer) => chunks.push(chunk));
              response.on('end', () =>
                resolve({
                  status: response.statusCode ?? 0,
                  type: response.headers['content-type'] ?? '',
                  bytes: Buffer.concat(chunks),
                }),
              );
            },
          )
          .on('error', reject);
      },
    );
    assert.equal(reply.status, 200);
    assert.equal(reply.type, 'image/png');
    assert.deepEqual(new Uint8Array(reply.bytes), PNG_BYTES);
  });

  test('refuse unknown ids, unknown kinds and anything path-like', async () => {
    assert.equal((await rawRequest(host, '/image/avatar/gone')).status, 404);
    for (const target of [
      '/image/photo/a1',
      '/image/avatar/..%2fsecret',
      '/image/avatar/%2e%2e',
      '/image/avatar/',
    ]) {
      const reply = await rawRequest(host, target);
      assert.equal(reply.status, 400, target);
      assert.equal(errorOf(reply).code, 'BAD_REQUEST');
    }
  });
});

describe('model uploads', () => {
  const put = (target: string, body: string, headers: Record<string, string | undefined> = {}) =>
    rawRequest(host, target, {
      method: 'PUT',
      body,
      headers: {
        origin: host.origin,
        'content-type': 'application/octet-stream',
        'content-length': String(Buffer.byteLength(body)),
        ...headers,
      },
    });

  test('stream a declared file to the service, its length stated', async () => {
    const reply = await put('/upload/model/job1/unet/config.json', '{"in_channels":4}');
    assert.equal(reply.status, 200, reply.body);
    assert.deepEqual(JSON.parse(reply.body), { result: null });
    assert.deepEqual(service.uploads.at(-1), {
      jobId: 'job1',
      path: 'unet/config.json',
      bytes: 17,
      received: 17,
    });
  });

  test('pass the same caller checks as every request', async () => {
    const target = '/upload/model/job1/model_index.json';
    const before = service.uploads.length;
    const noSecret = await rawRequest(host, target, {
      method: 'PUT',
      auth: 'none',
      body: '{}',
      headers: { origin: host.origin, 'content-type': 'application/octet-stream' },
    });
    assert.equal(noSecret.status, 403);
    assert.equal((await put(target, '{}', { origin: undefined })).status, 403);
    assert.equal((await put(target, '{}', { origin: 'http://evil.example' })).status, 403);
    assert.equal((await put(target, '{}', { 'sec-fetch-site': 'same-site' })).status, 403);
    assert.equal(service.uploads.length, before);
  });

  test('refuse paths that leave the model, other methods and types, no length or too much', async () => {
    const before = service.uploads.length;
    for (const target of [
      '/upload/model/job1/../../secret.json',
      '/upload/model/job1/%2e%2e/secret.json',
      '/upload/model/job1//etc/passwd.json',
      '/upload/model/job1/unet\\config.json',
      '/upload/model/job1/.hidden.json',
      '/upload/model/job1/model.onnx',
      '/upload/model/job1',
      '/upload/model/..%2fjob1/x.json',
    ]) {
      const reply = await put(target, '{}');
      assert.equal(reply.status, 400, `${target}: ${reply.body}`);
      assert.equal(errorOf(reply).code, 'BAD_REQUEST');
    }
    assert.equal((await put('/upload/model/job2/x.json', '{}')).status, 404);
    const ok = '/upload/model/job1/x.json';
    assert.equal((await rawRequest(host, ok, { method: 'POST', body: '{}' })).status, 405);
    assert.equal((await put(ok, '{}', { 'content-type': 'application/json' })).status, 415);
    const chunked = await put(ok, '{}', {
      'content-length': undefined,
      'transfer-encoding': 'chunked',
    });
    assert.equal(chunked.status, 411);
    // This host's ceiling is 1024 bytes (the real one: DOOR_LIMITS.modelUploadFileBytes).
    const large = await put(ok, 'x'.repeat(2000));
    assert.equal(large.status, 413);
    assert.equal(large.headers.connection, 'close');
    assert.equal(service.uploads.length, before);
  });
});
