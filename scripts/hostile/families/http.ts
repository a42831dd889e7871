/**
 * Attacks on the loopback host over HTTP, as another local process or a web page could make them:
 * credentials, caller headers, traversal, malformed api calls, request smuggling, oversized and
 * hostile bodies, floods and races.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import type { ApiMethod } from '../../../main/api/contract.ts';
import { encodeJson } from '../../../main/api/codec.ts';
import { BODY_LIMITS } from '../../../main/host/request-limits.ts';
import { OUTSIDE_SECRET, type RawReply, postApi, rawRequest } from '../../../main/testing/host.ts';
import { type Attack, breach } from '../attack.ts';
import type { Target } from '../target.ts';

export const PORTRAITS = ['sample1-face1.jpg', 'sample2-face2.jpg', 'sample3-face1.jpg'].map(
  (file) => `e2e/photos/portraits/${file}`,
);

/** Refused with one of `statuses` and, for api errors, `code`; nothing of the machine leaks. */
export function expectRefused(reply: RawReply, statuses: number[], code?: string): void {
  if (reply.body.includes(OUTSIDE_SECRET)) breach('served a file outside the renderer folder');
  if (/\/(home|tmp|work|Users)\//.test(reply.body))
    breach(`leaked a path: ${reply.body.slice(0, 200)}`);
  if (!statuses.includes(reply.status)) {
    breach(
      `status ${reply.status}, expected ${statuses.join(' or ')}: ${reply.body.slice(0, 200)}`,
    );
  }
  if (code !== undefined) {
    const error = (JSON.parse(reply.body) as { error?: { code?: string } }).error;
    if (error?.code !== code) breach(`error code ${String(error?.code)}, expected ${code}`);
  }
}

function credentials(target: Target): Attack[] {
  const { host } = target;
  const family = 'credentials';
  const cases: [string, Parameters<typeof rawRequest>[2]][] = [
    ['no credential at all', { auth: 'none' }],
    ['a wrong secret header', { auth: 'none', headers: { 'x-avatar-studio-secret': 'guess' } }],
    [
      'the secret less its last character',
      { auth: 'none', headers: { 'x-avatar-studio-secret': host.secret.slice(0, -1) } },
    ],
    [
      'the secret and one more character',
      { auth: 'none', headers: { 'x-avatar-studio-secret': `${host.secret}x` } },
    ],
    ['an empty secret header', { auth: 'none', headers: { 'x-avatar-studio-secret': '' } }],
    [
      'a cookie of another launch',
      { auth: { cookie: `avatar-studio-${host.port}=${'A'.repeat(43)}` } },
    ],
    [
      'the right secret in the cookie of another port',
      { auth: { cookie: `avatar-studio-${host.port + 1}=${host.secret}` } },
    ],
    ['the secret as a query on an api route', { auth: 'none' }],
  ];
  const attacks: Attack[] = cases.map(([name, options]) => ({
    family,
    name,
    run: async () => {
      const target = name.includes('query') ? `/api/events?s=${host.secret}` : '/api/events';
      expectRefused(await rawRequest(host, target, options), [403], 'FORBIDDEN');
      expectRefused(await postApi(host, 'runs:list', '{}', options), [403], 'FORBIDDEN');
    },
  }));
  attacks.push({
    family,
    name: 'a wrong secret at the first load',
    run: async () =>
      expectRefused(await rawRequest(host, '/?s=guess', { auth: 'none' }), [403], 'FORBIDDEN'),
  });
  return attacks;
}

function callerHeaders(target: Target): Attack[] {
  const { host } = target;
  const family = 'Host, Origin and fetch metadata';
  const cases: [string, Record<string, string | undefined>][] = [
    ['a foreign Host (DNS rebinding)', { host: `evil.example:${host.port}` }],
    ['Host of another local port', { host: `127.0.0.1:${host.port + 1}` }],
    ['Host without a port', { host: '127.0.0.1' }],
    ['Host as IPv6 loopback', { host: `[::1]:${host.port}` }],
    ['a foreign Origin', { origin: 'http://evil.example' }],
    ['Origin of another local port', { origin: `http://127.0.0.1:${host.port + 1}` }],
    ['Origin "null" (a sandboxed frame)', { origin: 'null' }],
    ['a POST without Origin', { origin: undefined }],
    ['Sec-Fetch-Site cross-site', { 'sec-fetch-site': 'cross-site' }],
    ['Sec-Fetch-Site same-site (another port)', { 'sec-fetch-site': 'same-site' }],
  ];
  const attacks: Attack[] = cases.map(([name, headers]) => ({
    family,
    name,
    run: async () => expectRefused(await postApi(host, 'runs:list', '{}', { headers }), [403]),
  }));
  attacks.push({
    family,
    name: 'no Host at all',
    run: async () => {
      // Node's client always adds a Host, so this one goes out on a bare socket.
      const request = `POST /api/runs:list HTTP/1.1\r\nOrigin: ${host.origin}\r\nX-Avatar-Studio-Secret: ${host.secret}\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`;
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(await rawSocket(target, request))?.[1]);
      if (status !== 400 && status !== 403) breach(`status ${status}`);
    },
  });
  return attacks;
}

/** 41 ways to name a file outside the renderer folder or an image by path. */
const TRAVERSALS = [
  '/../secret.txt',
  '/../../secret.txt',
  '/..%2fsecret.txt',
  '/%2e%2e/secret.txt',
  '/%2e%2e%2fsecret.txt',
  '/%252e%252e/secret.txt',
  '/assets/../../secret.txt',
  '/assets/%2e%2e/%2e%2e/secret.txt',
  '/assets/..%5c..%5csecret.txt',
  '/..\\secret.txt',
  '/assets\\..\\..\\secret.txt',
  '/%2e%2e%5csecret.txt',
  '/.%2e/secret.txt',
  '/%2e./secret.txt',
  '/assets/%00/../../secret.txt',
  '/index.html%00.png',
  '/%00',
  '/%c0%ae%c0%ae/secret.txt',
  '/%e0%80%ae%e0%80%ae/secret.txt',
  '/%uff0e%uff0e/secret.txt',
  '//secret.txt',
  '///../secret.txt',
  '/./../secret.txt',
  '/assets/./../../secret.txt',
  '/%2fetc%2fpasswd',
  '/etc/passwd',
  '/../../../../../../etc/passwd',
  '/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
  '/proc/self/environ',
  '/../proc/self/environ',
  'secret.txt',
  '*',
  'http://127.0.0.1/../secret.txt',
  '/image/avatar/..%2f..%2fsecret.txt',
  '/image/avatar/../../secret.txt',
  '/image/avatar/%2e%2e',
  '/image/..%2f..%2f/secret.txt',
  '/image/style/..',
  '/image/style/%2e%2e%2f%2e%2e%2fmodels%2fstyles.json',
  '/image/avatar/a%00b',
  '/image/../../secret.txt',
];

function traversals(target: Target): Attack[] {
  return TRAVERSALS.map((path) => ({
    family: 'path traversal',
    name: path,
    run: async () => {
      const reply = await rawRequest(target.host, path);
      expectRefused(reply, [400, 404]);
    },
  }));
}

/** Bodies of the wrong shape for every method: each must be BAD_REQUEST, never a handler's fault. */
const WRONG_TYPES: Readonly<Record<ApiMethod, string[]>> = {
  'app:status': ['[]', '{"x":1}', 'null'],
  'photos:check': [
    '{}',
    '{"photos":"all"}',
    '{"photos":[null]}',
    '{"photos":[{"name":1,"bytes":{"$bytes":"AA=="}}]}',
    '{"photos":[{"name":"a.jpg"}]}',
    '{"photos":[{"name":"a.jpg","bytes":[1,2,3]}]}',
    '{"photos":[{"name":"../a.jpg","bytes":{"$bytes":"AA=="}}]}',
  ],
  'styles:list': ['{"all":true}', '"styles"'],
  'runs:start': [
    '{}',
    '{"photos":[],"styleIds":[],"count":1}',
    '{"photos":[],"styleIds":["anime"],"count":0}',
    '{"photos":[],"styleIds":["anime"],"count":31}',
    '{"photos":[],"styleIds":["anime"],"count":1.5}',
    '{"photos":[],"styleIds":["a","b","c","d","e","f"],"count":1}',
    '{"photos":[],"styleIds":["../../x"],"count":1}',
    '{"photos":[],"styleIds":"anime","count":"30"}',
  ],
  'runs:cancel': [
    '{}',
    '{"runId":null}',
    '{"runId":"../x"}',
    '{"runId":["r"]}',
    '{"runId":"r","why":"x"}',
  ],
  'runs:list': ['{"all":1}', '[]'],
  'runs:avatars': ['{}', '{"runId":1}', '{"runId":"a/b"}', `{"runId":"${'r'.repeat(200)}"}`],
  'runs:deleteNow': ['{"runId":null}', '{"runId":""}', '{"runId":"..\\\\x"}', '{"all":true}'],
  'export:avatars': [
    '{}',
    '{"avatarIds":[],"size":512,"format":"png","circle":false}',
    '{"avatarIds":["a"],"size":513,"format":"png","circle":false}',
    '{"avatarIds":["a"],"size":512,"format":"bmp","circle":false}',
    '{"avatarIds":["a"],"size":512,"format":"png","circle":"yes"}',
    `{"avatarIds":[${Array(31).fill('"a"').join(',')}],"size":512,"format":"png","circle":false}`,
    '{"avatarIds":["a"],"size":512,"format":"png","circle":false,"path":"/tmp/x"}',
  ],
  'settings:update': [
    '{"retentionSeconds":-1}',
    '{"retentionSeconds":86401}',
    '{"retentionSeconds":"300"}',
    '{"instantMode":"true"}',
    '{"dailyRunLimit":0}',
    '{"dailyRunLimit":1e9}',
    '{"__proto__":{"dailyRunLimit":1000}}',
    '{"defaultModelId":"x"}',
  ],
  'models:list': ['{"dir":"/"}', 'true'],
  'models:setDefault': [
    '{}',
    '{"id":"../../x"}',
    '{"id":""}',
    '{"id":7}',
    '{"id":"m","dir":"/tmp"}',
  ],
  'models:catalog': ['{"file":"/etc/passwd"}', '[]'],
  'models:install': ['{}', '{"id":"../../x"}', '{"id":"sd-turbo","url":"http://evil.example/"}'],
  'models:add': [
    '{}',
    '{"pick":"/home/me/model.safetensors"}',
    '{"path":"/etc/passwd"}',
    '{"upload":{"name":"m","kind":"folder","files":[{"path":"../../x.json","bytes":1}]}}',
    '{"upload":{"name":"m","kind":"folder","files":[{"path":"/etc/x.json","bytes":1}]}}',
    '{"upload":{"name":"../m","kind":"checkpoint","files":[{"path":"c.safetensors","bytes":1}]}}',
    '{"upload":{"name":"m","kind":"folder","files":[{"path":"x.json","bytes":1e13}]}}',
    '{"upload":{"name":"m","kind":"folder","files":[]}}',
  ],
  'models:cancel': ['{}', '{"jobId":"../x"}', '{"jobId":1}'],
};

function wrongTypes(target: Target): Attack[] {
  const attacks: Attack[] = Object.entries(WRONG_TYPES).flatMap(([method, bodies]) =>
    bodies.map((body) => ({
      family: 'wrong-type api calls',
      name: `${method} ${body.length > 60 ? `${body.slice(0, 57)}...` : body}`,
      run: async () =>
        expectRefused(await postApi(target.host, method, body), [400], 'BAD_REQUEST'),
    })),
  );
  for (const method of ['no:such', '__proto__', 'constructor', 'toString', '../app:status']) {
    attacks.push({
      family: 'wrong-type api calls',
      name: `unknown method ${method}`,
      run: async () => expectRefused(await postApi(target.host, method, '{}'), [400, 404]),
    });
  }
  return attacks;
}

/** Writes `request` on a raw socket and returns everything the host answers before it closes. */
export function rawSocket(
  target: Target,
  request: string | Buffer,
  waitMs = 1500,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(target.host.port, '127.0.0.1');
    let answer = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('error', (error: NodeJS.ErrnoException) =>
      error.code === 'ECONNRESET' || error.code === 'EPIPE' ? resolve(answer) : reject(error),
    );
    socket.on('close', () => resolve(answer));
    socket.write(request);
    setTimeout(() => socket.destroy(), waitMs).unref();
  });
}

function smuggling(target: Target): Attack[] {
  const { port, secret, origin } = target.host;
  const head = (extra: string) =>
    `POST /api/runs:list HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nOrigin: ${origin}\r\nX-Avatar-Studio-Secret: ${secret}\r\nContent-Type: application/json\r\n${extra}`;
  // A second request hidden in the first's body: it would change a setting if it were served.
  const hidden = '{"retentionSeconds":7}';
  const smuggled = `POST /api/settings:update HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nOrigin: ${origin}\r\nX-Avatar-Studio-Secret: ${secret}\r\nContent-Type: application/json\r\nContent-Length: ${hidden.length}\r\n\r\n${hidden}`;
  const cases: [string, string][] = [
    [
      'Content-Length and Transfer-Encoding together',
      `${head('Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n')}0\r\n\r\n${smuggled}`,
    ],
    [
      'two different Content-Lengths',
      `${head('Content-Length: 2\r\nContent-Length: 40\r\n\r\n')}{}${smuggled}`,
    ],
    [
      'Transfer-Encoding with a space before the colon',
      `${head('Transfer-Encoding : chunked\r\nContent-Length: 2\r\n\r\n')}{}`,
    ],
    [
      'Transfer-Encoding: xchunked',
      `${head('Transfer-Encoding: xchunked\r\n\r\n')}2\r\n{}\r\n0\r\n\r\n`,
    ],
    [
      'a chunk size that is not hex',
      `${head('Transfer-Encoding: chunked\r\n\r\n')}zz\r\n{}\r\n0\r\n\r\n`,
    ],
    ['an obsolete folded header', `${head('X-Folded: a\r\n b\r\nContent-Length: 2\r\n\r\n')}{}`],
    ['a bare LF request line', `GET / HTTP/1.1\nHost: 127.0.0.1:${port}\n\n`],
    [
      'a header block of 100 kB',
      `${head(`X-Big: ${'a'.repeat(100_000)}\r\nContent-Length: 2\r\n\r\n`)}{}`,
    ],
    [
      'an absolute URI naming another host',
      `GET http://evil.example/ HTTP/1.1\r\nHost: evil.example\r\nX-Avatar-Studio-Secret: ${secret}\r\n\r\n`,
    ],
  ];
  return cases.map(([name, request]) => ({
    family: 'request smuggling',
    name,
    run: async () => {
      const answer = await rawSocket(target, request);
      // Exactly one answer, a refusal or the one honest request: never a second, smuggled one.
      const statuses = [...answer.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((match) =>
        Number(match[1]),
      );
      if (statuses.length > 1)
        breach(`answered ${statuses.length} requests: ${statuses.join(', ')}`);
      if (statuses[0] !== undefined && ![200, 400, 403, 413, 431].includes(statuses[0]))
        breach(`status ${statuses[0]}`);
      const status = await postApi(target.host, 'app:status', '{}');
      if (status.body.includes('"retentionSeconds":7,')) breach('the smuggled request was served');
    },
  }));
}

/**
 * Streams `total` bytes of `[0,0,0,...]` (the body that aborted V8), stopping when refused. The
 * host answers 413 and closes at once; a client still writing may see that close as a reset
 * before it reads the 413 (TCP drops the unread answer), which is a refusal all the same: the
 * suite checks after every attack that the app still answers.
 */
function arrayBomb(target: Target, method: string, total: number): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const { port, secret, origin } = target.host;
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (answer += chunk));
    const finish = () => {
      if (answer === '' && sent < total - 2) {
        return resolve({ status: 413, headers: {}, body: '{"error":{"code":"TOO_LARGE"}}' });
      }
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
      resolve({ status, headers: {}, body: answer.slice(answer.indexOf('\r\n\r\n') + 4) });
    };
    socket.on('close', finish);
    socket.on('error', (error: NodeJS.ErrnoException) =>
      ['ECONNRESET', 'EPIPE'].includes(error.code ?? '') ? undefined : reject(error),
    );
    socket.write(
      `POST /api/${method} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nOrigin: ${origin}\r\nX-Avatar-Studio-Secret: ${secret}\r\nContent-Type: application/json\r\nContent-Length: ${total}\r\nConnection: close\r\n\r\n[`,
    );
    const chunk = Buffer.from('0,'.repeat(32 * 1024));
    let sent = 1;
    const pump = () => {
      while (sent + chunk.length < total - 2 && !socket.destroyed && answer === '') {
        sent += chunk.length;
        if (!socket.write(chunk)) return void socket.once('drain', pump);
      }
      if (!socket.destroyed && answer === '') socket.end('0]');
    };
    pump();
  });
}

function bodies(target: Target): Attack[] {
  const family = 'oversized and hostile bodies';
  const { host } = target;
  const small = (method: ApiMethod) => BODY_LIMITS[method] + 1;
  return [
    {
      family,
      name: '280 MB of [0,0,...] to photos:check (aborted V8 before)',
      run: async () =>
        expectRefused(await arrayBomb(target, 'photos:check', 280_000_000), [413], 'TOO_LARGE'),
    },
    {
      family,
      name: '280 MB of [0,0,...] to runs:start',
      run: async () =>
        expectRefused(await arrayBomb(target, 'runs:start', 280_000_000), [413], 'TOO_LARGE'),
    },
    {
      family,
      name: 'a 1 MB body to settings:update (a few bytes needed)',
      run: async () =>
        expectRefused(await arrayBomb(target, 'settings:update', 1_000_000), [413], 'TOO_LARGE'),
    },
    {
      family,
      name: 'a declared Content-Length of 1 TB',
      run: async () =>
        expectRefused(
          await postApi(host, 'photos:check', '{}', {
            headers: { 'content-length': String(1e12) },
          }).catch(() => ({ status: 413, headers: {}, body: '{"error":{"code":"TOO_LARGE"}}' })),
          [413],
        ),
    },
    {
      family,
      name: 'a string just over export:avatars’ limit',
      run: async () =>
        expectRefused(
          await postApi(
            host,
            'export:avatars',
            `{"avatarIds":["${'a'.repeat(small('export:avatars'))}"]}`,
          ),
          [413],
          'TOO_LARGE',
        ),
    },
    {
      family,
      name: '100 000 nested arrays',
      run: async () =>
        expectRefused(await postApi(host, 'photos:check', '['.repeat(100_000)), [413], 'TOO_LARGE'),
    },
    {
      family,
      name: '10 000 keys in one object',
      run: async () => {
        const keys = Array.from({ length: 10_000 }, (_, i) => `"k${i}":0`).join(',');
        expectRefused(await postApi(host, 'photos:check', `{${keys}}`), [413], 'TOO_LARGE');
      },
    },
    {
      family,
      name: 'a body that is not JSON',
      run: async () =>
        expectRefused(await postApi(host, 'runs:list', '{"a":'), [400], 'BAD_REQUEST'),
    },
    {
      family,
      name: 'invalid UTF-8 and a lone surrogate',
      run: async () =>
        expectRefused(
          await postApi(host, 'runs:avatars', '{"runId":"\\ud800\u00ff\u00fe"}'),
          [400],
          'BAD_REQUEST',
        ),
    },
    {
      family,
      name: 'a body that is not declared JSON',
      run: async () =>
        expectRefused(
          await postApi(host, 'runs:list', '{}', { headers: { 'content-type': 'text/plain' } }),
          [415],
        ),
    },
  ];
}

function floods(target: Target): Attack[] {
  const { host } = target;
  const photos = () =>
    PORTRAITS.map((file) => ({ name: file.split('/').pop()!, bytes: readFileSync(file) }));
  return [
    {
      family: 'floods and races',
      name: '300 concurrent calls',
      run: async () => {
        const replies = await Promise.all(
          Array.from({ length: 300 }, (_, i) =>
            postApi(host, i % 2 ? 'runs:list' : 'styles:list', '{}'),
          ),
        );
        const bad = replies.filter((reply) => reply.status !== 200);
        if (bad.length > 0)
          breach(`${bad.length} of 300 failed, e.g. ${bad[0]?.status} ${bad[0]?.body}`);
      },
    },
    {
      family: 'floods and races',
      name: 'two runs started at once',
      run: async () => {
        await postApi(host, 'settings:update', '{"dailyRunLimit":10}');
        const body = encodeJson({ photos: photos(), styleIds: ['anime'], count: 2 });
        const [first, second] = await Promise.all([
          postApi(host, 'runs:start', body),
          postApi(host, 'runs:start', body),
        ]);
        const started = [first, second].filter((reply) => reply.status === 200);
        const refused = [first, second].filter((reply) => reply.status !== 200);
        if (started.length !== 1) breach(`${started.length} runs started at once`);
        expectRefused(refused[0]!, [409], 'RUN_IN_PROGRESS');
        const { runId } = (JSON.parse(started[0]!.body) as { result: { runId: string } }).result;
        await postApi(host, 'runs:cancel', JSON.stringify({ runId }));
      },
    },
  ];
}

export function httpAttacks(target: Target): Attack[] {
  return [
    ...credentials(target),
    ...callerHeaders(target),
    ...traversals(target),
    ...wrongTypes(target),
    ...smuggling(target),
    ...bodies(target),
    ...floods(target),
  ];
}
