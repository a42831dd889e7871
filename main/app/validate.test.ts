import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApiError, type ApiHandlers, type ApiMethod } from '../api/contract.ts';
import {
  handleRequest,
  isModelUploadPath,
  validateImageRef,
  validateRequest,
  validateUploadTarget,
} from './validate.ts';

const photo = (name = 'me.jpg', size = 16) => ({ name, bytes: new Uint8Array(size) });
const photos = [photo('a.jpg'), photo('b.jpg'), photo('c.jpg')];
const RUN_ID = 'b1c2d3e4-0000-4000-8000-000000000001';
const folderUpload = {
  name: 'my sd folder',
  kind: 'folder',
  files: [
    { path: 'model_index.json', bytes: 500 },
    { path: 'unet/diffusion_pytorch_model.fp16.safetensors', bytes: 7 * 1024 ** 3 },
    { path: 'tokenizer/merges.txt', bytes: 0 },
  ],
};

/** One well-formed request per method: the door lets each through unchanged. */
const GOOD: { [M in ApiMethod]: unknown } = {
  'app:status': {},
  'photos:check': { photos },
  'styles:list': {},
  'runs:start': { photos, styleIds: ['anime', 'clay'], count: 30 },
  'runs:cancel': { runId: RUN_ID },
  'runs:list': {},
  'runs:avatars': { runId: RUN_ID },
  'runs:deleteNow': { runId: RUN_ID },
  'export:avatars': { avatarIds: ['0123abcd'], size: 1024, format: 'webp', circle: true },
  'settings:update': { retentionSeconds: 0, instantMode: true, dailyRunLimit: 1000 },
  'models:list': {},
  'models:setDefault': { id: 'sd-turbo' },
  'models:catalog': {},
  'models:install': { id: 'sd-turbo' },
  'models:add': { upload: folderUpload },
  'models:cancel': { jobId: RUN_ID },
};

function refused(method: unknown, params: unknown, field: string | RegExp): void {
  assert.throws(
    () => validateRequest(method, params),
    (error: unknown) => {
      assert.ok(error instanceof ApiError, `an ApiError, got ${String(error)}`);
      assert.equal(error.code, 'BAD_REQUEST');
      if (typeof field === 'string') assert.ok(error.message.includes(field), error.message);
      else assert.match(error.message, field);
      return true;
    },
  );
}

describe('good requests pass', () => {
  for (const [method, params] of Object.entries(GOOD)) {
    test(method, () => {
      assert.deepEqual(validateRequest(method, params), { method, params });
    });
  }

  test('optional fields may be left out: deleteNow of everything, an empty settings patch', () => {
    assert.deepEqual(validateRequest('runs:deleteNow', {}).params, {});
    assert.deepEqual(validateRequest('runs:deleteNow', { runId: undefined }).params, {});
    assert.deepEqual(validateRequest('settings:update', {}).params, {});
  });

  test('Buffers are bytes too, and 11+ photos reach intake (which names them)', () => {
    const many = Array.from({ length: 12 }, (_, i) => ({
      name: `${i}.jpg`,
      bytes: Buffer.alloc(4),
    }));
    assert.equal(validateRequest('photos:check', { photos: many }).method, 'photos:check');
  });

  test('models:add takes a pick (Electron) or an upload (the loopback host)', () => {
    assert.deepEqual(validateRequest('models:add', { pick: 'folder' }).params, { pick: 'folder' });
    const checkpoint = {
      name: 'Dream (v8).safetensors',
      kind: 'checkpoint',
      files: [] as object[],
    };
    checkpoint.files.push({ path: 'checkpoint.safetensors', bytes: 2_000_000_000 });
    assert.deepEqual(validateRequest('models:add', { upload: checkpoint }).params, {
      upload: checkpoint,
    });
  });

  test('the params are rebuilt, not passed through', () => {
    const params = { runId: RUN_ID };
    assert.notEqual(validateRequest('runs:cancel', params).params, params);
  });
});

describe('malformed requests are refused with BAD_REQUEST naming the field', () => {
  const start = GOOD['runs:start'] as object;
  const exportRequest = GOOD['export:avatars'] as object;
  const cases: [string, unknown, unknown, string | RegExp][] = [
    ['unknown method', 'runs:explode', {}, 'unknown method "runs:explode"'],
    ['method not a string', 42, {}, 'unknown method (a number)'],
    ['inherited name as method', 'toString', {}, 'unknown method'],
    ['__proto__ as method', '__proto__', {}, 'unknown method'],
    ['params missing', 'app:status', undefined, 'params must be a plain object'],
    ['params an array', 'app:status', [], 'params must be a plain object'],
    ['params a class instance', 'app:status', new Date(), 'params must be a plain object'],
    ['extra field', 'app:status', { verbose: true }, 'params.verbose is not a field'],
    ['extra field on start', 'runs:start', { ...start, seed: 1 }, 'params.seed'],
    ['size smuggled into start', 'runs:start', { ...start, size: 2048 }, 'params.size'],
    [
      '__proto__ key (JSON)',
      'runs:list',
      JSON.parse('{"__proto__":{"admin":true}}'),
      'params.__proto__',
    ],
    ['constructor key', 'runs:list', { constructor: {} }, 'params.constructor'],
    ['a replaced prototype', 'runs:list', { __proto__: { admin: true } }, 'plain object'],
    ['a symbol key', 'runs:list', { [Symbol('x')]: 1 }, 'params.Symbol(x)'],
    ['id missing', 'runs:cancel', {}, 'params.runId is missing'],
    ['id not a string', 'runs:cancel', { runId: 7 }, 'params.runId must be an id'],
    ['path as id', 'runs:avatars', { runId: '../../etc/passwd' }, 'params.runId must be an id'],
    ['absolute path as id', 'runs:deleteNow', { runId: '/home/me' }, 'params.runId'],
    ['windows path as id', 'runs:cancel', { runId: 'C:\\Users\\me' }, 'params.runId'],
    ['dots as id', 'models:setDefault', { id: '..' }, 'params.id'],
    ['NUL in id', 'runs:cancel', { runId: 'abc\u0000' }, 'params.runId'],
    ['empty id', 'runs:cancel', { runId: '' }, 'params.runId'],
    ['huge id', 'runs:cancel', { runId: 'a'.repeat(129) }, 'params.runId'],
    ['photos not a list', 'photos:check', { photos: 'a.jpg' }, 'params.photos must be a list'],
    [
      '51 photos',
      'photos:check',
      { photos: Array(51).fill(photo()) },
      'params.photos must hold 0 to 50',
    ],
    [
      'a hole in the list',
      'photos:check',
      { photos: new Array(2) },
      'params.photos[0] must be a plain object',
    ],
    [
      'photo without bytes',
      'photos:check',
      { photos: [{ name: 'a.jpg' }] },
      'params.photos[0].bytes is missing',
    ],
    [
      'bytes as a plain array',
      'photos:check',
      { photos: [{ name: 'a.jpg', bytes: [1, 2] }] },
      'params.photos[0].bytes must be bytes',
    ],
    [
      'bytes as base64 text',
      'photos:check',
      { photos: [{ name: 'a.jpg', bytes: 'AAAA' }] },
      'params.photos[0].bytes',
    ],
    [
      'a path as photo name',
      'photos:check',
      { photos: [photo('/home/me/a.jpg')] },
      'params.photos[0].name',
    ],
    [
      'a windows path as photo name',
      'photos:check',
      { photos: [photo('C:\\me\\a.jpg')] },
      'params.photos[0].name',
    ],
    ['dots as photo name', 'photos:check', { photos: [photo('..')] }, 'params.photos[0].name'],
    [
      'control character in name',
      'photos:check',
      { photos: [photo('a\nb.jpg')] },
      'params.photos[0].name',
    ],
    ['empty photo name', 'photos:check', { photos: [photo('')] }, 'params.photos[0].name'],
    [
      '256-character name',
      'photos:check',
      { photos: [photo(`${'a'.repeat(252)}.jpg`)] },
      'params.photos[0].name',
    ],
    [
      'extra field on a photo',
      'photos:check',
      { photos: [{ ...photo(), path: '/tmp/a.jpg' }] },
      'params.photos[0].path',
    ],
    ['no style', 'runs:start', { ...start, styleIds: [] }, 'params.styleIds must hold 1 to 5'],
    [
      'six styles',
      'runs:start',
      { ...start, styleIds: ['a', 'b', 'c', 'd', 'e', 'f'] },
      'params.styleIds',
    ],
    [
      'style id with a slash',
      'runs:start',
      { ...start, styleIds: ['anime/../x'] },
      'params.styleIds[0]',
    ],
    [
      'count 0',
      'runs:start',
      { ...start, count: 0 },
      'params.count must be a whole number from 1 to 30',
    ],
    ['count 31', 'runs:start', { ...start, count: 31 }, 'params.count'],
    ['count 2.5', 'runs:start', { ...start, count: 2.5 }, 'params.count'],
    ['count NaN', 'runs:start', { ...start, count: NaN }, 'params.count'],
    ['count as text', 'runs:start', { ...start, count: '3' }, 'params.count'],
    ['count huge', 'runs:start', { ...start, count: 1e300 }, 'params.count'],
    [
      'export size 300',
      'export:avatars',
      { ...exportRequest, size: 300 },
      'params.size must be one of 256, 512, 1024',
    ],
    [
      'export format gif',
      'export:avatars',
      { ...exportRequest, format: 'gif' },
      'params.format must be one of png, jpeg, webp',
    ],
    [
      'circle as text',
      'export:avatars',
      { ...exportRequest, circle: 'yes' },
      'params.circle must be true or false',
    ],
    ['no avatar', 'export:avatars', { ...exportRequest, avatarIds: [] }, 'params.avatarIds'],
    [
      '31 avatars',
      'export:avatars',
      { ...exportRequest, avatarIds: Array(31).fill('a') },
      'params.avatarIds',
    ],
    [
      'path as avatar id',
      'export:avatars',
      { ...exportRequest, avatarIds: ['x', '../key'] },
      'params.avatarIds[1]',
    ],
    [
      'retention a day and a second',
      'settings:update',
      { retentionSeconds: 86_401 },
      'params.retentionSeconds',
    ],
    ['negative retention', 'settings:update', { retentionSeconds: -1 }, 'params.retentionSeconds'],
    ['run limit 0', 'settings:update', { dailyRunLimit: 0 }, 'params.dailyRunLimit'],
    ['instant mode as 1', 'settings:update', { instantMode: 1 }, 'params.instantMode'],
    [
      'default model through settings',
      'settings:update',
      { defaultModelId: 'x' },
      'params.defaultModelId',
    ],
    ['null setting', 'settings:update', { dailyRunLimit: null }, 'params.dailyRunLimit'],
    ['a path to pick', 'models:add', { pick: '/home/me/model.safetensors' }, 'params.pick'],
    ['pick and upload at once', 'models:add', { pick: 'file', upload: folderUpload }, 'upload'],
    ['neither', 'models:add', {}, 'params.upload is missing'],
    [
      'a path as the upload name',
      'models:add',
      { upload: { ...folderUpload, name: '../../etc' } },
      'params.upload.name',
    ],
    [
      'a file of 33 GB',
      'models:add',
      { upload: { ...folderUpload, files: [{ path: 'a.safetensors', bytes: 33 * 1024 ** 3 }] } },
      'params.upload.files[0].bytes',
    ],
    [
      '65 files',
      'models:add',
      {
        upload: {
          ...folderUpload,
          files: Array.from({ length: 65 }, (_, i) => ({ path: `${i}.json`, bytes: 1 })),
        },
      },
      'params.upload.files must hold 1 to 64 items',
    ],
    [
      'no file',
      'models:add',
      { upload: { ...folderUpload, files: [] } },
      'params.upload.files must hold 1 to 64 items',
    ],
    [
      'a traversing path',
      'models:add',
      { upload: { ...folderUpload, files: [{ path: '../x.json', bytes: 1 }] } },
      'params.upload.files[0].path',
    ],
    ['a path as job id', 'models:cancel', { jobId: '../x' }, 'params.jobId'],
  ];
  for (const [name, method, params, field] of cases) {
    test(name, () => refused(method, params, field));
  }

  test('a photo over 64 MB', () => {
    const big = { name: 'big.jpg', bytes: new Uint8Array(64 * 1024 * 1024 + 1) };
    refused('photos:check', { photos: [big] }, 'params.photos[0].bytes must be at most 64 MB');
  });
});

describe('image references', () => {
  test('an avatar or a style by id', () => {
    assert.deepEqual(validateImageRef({ kind: 'style', id: 'anime' }), {
      kind: 'style',
      id: 'anime',
    });
  });

  test('never a path, never another kind', () => {
    assert.throws(() => validateImageRef({ kind: 'avatar', id: '../x' }), /image\.id/);
    assert.throws(() => validateImageRef({ kind: 'upload', id: 'abc' }), /image\.kind/);
  });
});

describe('uploaded model paths', () => {
  test('relative paths of diffusers files', () => {
    for (const good of [
      'model_index.json',
      'unet/diffusion_pytorch_model.fp16.safetensors',
      'tokenizer/merges.txt',
      'a/b/c/d.json',
      '_x.json',
    ]) {
      assert.ok(isModelUploadPath(good), good);
    }
  });

  test('never up, absolute, hidden, odd or of another kind', () => {
    for (const bad of [
      '../x.json',
      'unet/../../x.json',
      '/etc/x.json',
      'unet//x.json',
      'unet\\x.json',
      '.git/config.json',
      'unet/.x.json',
      'unet/%2e%2e/x.json',
      'a b.json',
      'x.json\u0000',
      'x.onnx',
      'x.bin',
      'x.JSON.exe',
      'a/b/c/d/e.json',
      `${'a'.repeat(300)}.json`,
      '',
      'unet/',
    ]) {
      assert.equal(isModelUploadPath(bad), false, bad);
    }
    assert.equal(isModelUploadPath(7), false);
  });

  test('an upload target is a job id and such a path', () => {
    assert.deepEqual(validateUploadTarget({ jobId: RUN_ID, path: 'unet/config.json' }), {
      jobId: RUN_ID,
      path: 'unet/config.json',
    });
    assert.throws(() => validateUploadTarget({ jobId: 'a/b', path: 'x.json' }), /upload\.jobId/);
    assert.throws(() => validateUploadTarget({ jobId: 'a', path: '../x.json' }), /upload\.path/);
  });
});

describe('handleRequest', () => {
  test('calls the handler the method names with the validated params', async () => {
    const calls: unknown[] = [];
    const handlers = {
      'runs:cancel': async (params: unknown) => {
        calls.push(params);
        return null;
      },
    } as unknown as ApiHandlers;
    assert.equal(await handleRequest(handlers, 'runs:cancel', { runId: RUN_ID }), null);
    assert.deepEqual(calls, [{ runId: RUN_ID }]);
  });

  test('a refused request never reaches a handler and rejects (not throws)', async () => {
    const handlers = {} as ApiHandlers;
    const pending = handleRequest(handlers, 'runs:cancel', { runId: '/etc' });
    await assert.rejects(pending, { code: 'BAD_REQUEST' });
  });
});
