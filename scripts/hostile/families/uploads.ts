/**
 * Attacks on the loopback host's model uploads (models:add { upload }, then PUT
 * /upload/model/<job>/<path> per file), as another local process or a web page could make them:
 * a file written outside its staging folder, more bytes than declared or allowed, a wrong or
 * missing credential, a job that is not waiting. Each attack runs against an upload job of its
 * own, cancelled afterwards; nothing named "pwned" may appear anywhere near the data folder.
 */
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DOOR_LIMITS } from '../../../main/app/validate.ts';
import { type RawReply, type RawRequest, postApi, rawRequest } from '../../../main/testing/host.ts';
import { type Attack, breach } from '../attack.ts';
import type { Target } from '../target.ts';
import { expectRefused, rawSocket } from './http.ts';

const FAMILY = 'model uploads';
const DECLARED = 'unet/config.json';
const BODY = '{"pwned":1}';

/** A folder upload of one small file: the job each attack aims at. */
const declaration = (bytes = BODY.length) =>
  JSON.stringify({
    upload: { name: 'pwned', kind: 'folder', files: [{ path: DECLARED, bytes }] },
  });

async function startUpload(target: Target): Promise<string> {
  const reply = await postApi(target.host, 'models:add', declaration());
  if (reply.status !== 200) breach(`could not start an upload: ${reply.status} ${reply.body}`);
  return (JSON.parse(reply.body) as { result: { jobId: string } }).result.jobId;
}

/** A PUT exactly as given: its headers, credential and body chosen by the attack. */
function put(
  target: Target,
  pathname: string,
  body = BODY,
  { headers, ...options }: RawRequest = {},
): Promise<RawReply> {
  return rawRequest(target.host, pathname, {
    method: 'PUT',
    body,
    ...options,
    headers: {
      origin: target.host.origin,
      'content-type': 'application/octet-stream',
      'content-length': String(Buffer.byteLength(body)),
      ...headers,
    },
  });
}

/** Every file named like the attack's payload under `dir` (the data folder, its parent, /tmp). */
async function pwnedFiles(dir: string, recursive: boolean): Promise<string[]> {
  const entries = await readdir(dir, { recursive, withFileTypes: true }).catch(() => []);
  return entries
    .filter((entry) => /pwned/i.test(entry.name) && entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
}

/** Runs `attack` on a fresh upload job, then cancels it and looks for anything it wrote. */
function onUpload(target: Target, name: string, attack: (jobId: string) => Promise<void>): Attack {
  return {
    family: FAMILY,
    name,
    run: async () => {
      const jobId = await startUpload(target);
      try {
        await attack(jobId);
      } finally {
        await postApi(target.host, 'models:cancel', JSON.stringify({ jobId }));
      }
      const escaped = [
        ...(await pwnedFiles(path.dirname(target.dataDir), true)),
        ...(await pwnedFiles(tmpdir(), false)),
      ];
      if (escaped.length > 0) breach(`wrote ${escaped.join(', ')}`);
    },
  };
}

/** Ways to name a file outside the upload's staging folder, or one it may not hold. */
const TRAVERSALS = [
  '../../../pwned.json',
  '../../../../../../tmp/pwned.json',
  '..%2f..%2f..%2fpwned.json',
  '%2e%2e/%2e%2e/%2e%2e/pwned.json',
  '%252e%252e/pwned.json',
  'unet/../../../../pwned.json',
  '/tmp/pwned.json',
  '..\\..\\..\\pwned.json',
  'unet\\..\\..\\pwned.json',
  'unet/%00/pwned.json',
  '.hidden/pwned.json',
  'unet/.pwned.json',
  'pwned.sh',
  'unet/pwned.onnx',
  '%c0%ae%c0%ae/pwned.json',
  'a/b/c/d/e/pwned.json',
];

function traversals(target: Target): Attack[] {
  const attacks = TRAVERSALS.map((relative) =>
    onUpload(target, `a path to ${relative}`, async (jobId) => {
      expectRefused(await put(target, `/upload/model/${jobId}/${relative}`), [400, 404]);
    }),
  );
  attacks.push(
    onUpload(target, 'a job id that climbs out', async () => {
      for (const job of ['..', '..%2f..%2fmodels', '%2e%2e']) {
        expectRefused(await put(target, `/upload/model/${job}/pwned.json`), [400, 404]);
      }
    }),
  );
  return attacks;
}

function oversized(target: Target): Attack[] {
  return [
    onUpload(target, 'a Content-Length of 1 TB', async (jobId) => {
      const reply = await put(target, `/upload/model/${jobId}/${DECLARED}`, BODY, {
        headers: { 'content-length': String(1e12) },
      }).catch(() => ({ status: 413, headers: {}, body: '{"error":{"code":"TOO_LARGE"}}' }));
      expectRefused(reply, [413], 'TOO_LARGE');
    }),
    onUpload(target, 'more bytes than declared', async (jobId) => {
      const reply = await put(
        target,
        `/upload/model/${jobId}/${DECLARED}`,
        `${BODY}${'x'.repeat(5000)}`,
      );
      expectRefused(reply, [400], 'BAD_REQUEST');
    }),
    onUpload(target, 'a body longer than its Content-Length', async (jobId) => {
      const { port, secret, origin } = target.host;
      const answer = await rawSocket(
        target,
        `PUT /upload/model/${jobId}/${DECLARED} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nOrigin: ${origin}\r\nX-Avatar-Studio-Secret: ${secret}\r\nContent-Type: application/octet-stream\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}PUT /upload/model/${jobId}/../../pwned.json HTTP/1.1\r\n\r\n`,
      );
      const statuses = [...answer.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((m) => Number(m[1]));
      if (statuses.some((status) => ![200, 400, 403].includes(status)))
        breach(`answered ${statuses.join(', ')}`);
    }),
    onUpload(target, 'no Content-Length (chunked)', async (jobId) => {
      const reply = await put(target, `/upload/model/${jobId}/${DECLARED}`, BODY, {
        headers: { 'content-length': undefined, 'transfer-encoding': 'chunked' },
      });
      expectRefused(reply, [411]);
    }),
    {
      family: FAMILY,
      name: `a declared file over ${DOOR_LIMITS.modelUploadFileBytes} bytes`,
      run: async () =>
        expectRefused(
          await postApi(
            target.host,
            'models:add',
            declaration(DOOR_LIMITS.modelUploadFileBytes + 1),
          ),
          [400],
          'BAD_REQUEST',
        ),
    },
  ];
}

function credentials(target: Target): Attack[] {
  const cases: [string, RawRequest][] = [
    ['no credential', { auth: 'none' }],
    ['a wrong secret', { auth: 'none', headers: { 'x-avatar-studio-secret': 'guess' } }],
    [
      'the secret in the cookie of another port',
      { auth: { cookie: `avatar-studio-${target.host.port + 1}=${target.host.secret}` } },
    ],
    ['a foreign Origin', { headers: { origin: 'http://evil.example' } }],
    ['no Origin', { headers: { origin: undefined } }],
    ['Sec-Fetch-Site same-site (another port)', { headers: { 'sec-fetch-site': 'same-site' } }],
  ];
  const attacks = cases.map(([name, options]) =>
    onUpload(target, name, async (jobId) =>
      expectRefused(
        await put(target, `/upload/model/${jobId}/${DECLARED}`, BODY, options),
        [403],
        'FORBIDDEN',
      ),
    ),
  );
  attacks.push(
    onUpload(target, 'a job id that is not waiting', async () => {
      const unknown = '00000000-0000-4000-8000-000000000000';
      expectRefused(await put(target, `/upload/model/${unknown}/${DECLARED}`), [404], 'NOT_FOUND');
    }),
    onUpload(target, 'a cancelled job', async (jobId) => {
      await postApi(target.host, 'models:cancel', JSON.stringify({ jobId }));
      expectRefused(await put(target, `/upload/model/${jobId}/${DECLARED}`), [404], 'NOT_FOUND');
    }),
    onUpload(target, 'another method, another type', async (jobId) => {
      const pathname = `/upload/model/${jobId}/${DECLARED}`;
      expectRefused(await rawRequest(target.host, pathname), [405]);
      expectRefused(
        await put(target, pathname, BODY, { headers: { 'content-type': 'text/plain' } }),
        [415],
      );
    }),
    onUpload(target, 'a second upload while one waits', async () => {
      expectRefused(
        await postApi(target.host, 'models:add', declaration()),
        [409],
        'MODEL_JOB_IN_PROGRESS',
      );
    }),
  );
  return attacks;
}

export function uploadAttacks(target: Target): Attack[] {
  return [...traversals(target), ...oversized(target), ...credentials(target)];
}
