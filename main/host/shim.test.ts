import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import vm from 'node:vm';
import type { AvatarStudioApi } from '../api/contract.ts';
import { type Host, SECRET_HEADER, startHost } from './server.ts';
import { type FakeService, PNG_BYTES, fakeService, rendererFixture } from '../testing/host.ts';

let host: Host;
let service: FakeService;
let removeRenderer: () => Promise<void>;

before(async () => {
  const { rendererDir, remove } = await rendererFixture();
  removeRenderer = remove;
  service = fakeService();
  host = await startHost({ service, rendererDir });
});
after(async () => {
  await host.close();
  await removeRenderer();
});

/** Stands in for the browser's EventSource: records what the shim listens to. */
class FakeEventSource {
  static opened: FakeEventSource[] = [];
  readonly listeners = new Map<string, (message: { data: string }) => void>();
  constructor(readonly url: string) {
    FakeEventSource.opened.push(this);
  }
  addEventListener(event: string, listener: (message: { data: string }) => void) {
    this.listeners.set(event, listener);
  }
  removeEventListener(event: string) {
    this.listeners.delete(event);
  }
}

type PickedFile = Blob & { name: string; webkitRelativePath: string };

/** A picked file as the browser's picker hands it over: a Blob with its name and relative path. */
function pickedFile(relative: string, text: string): PickedFile {
  return Object.assign(new Blob([text]), {
    name: relative.split('/').at(-1)!,
    webkitRelativePath: relative.includes('/') ? relative : '',
  });
}

/**
 * Stands in for the document: each file input the shim adds "opens" as soon as it is clicked and
 * picks `picking` (null: the user closed the picker); `inputs` records how each was set up.
 */
const fakeDocument = {
  picking: null as PickedFile[] | null,
  inputs: [] as { accept: string; webkitdirectory: boolean }[],
  createElement() {
    const listeners = new Map<string, () => void>();
    const input = {
      type: '',
      accept: '',
      webkitdirectory: false,
      hidden: false,
      files: null as PickedFile[] | null,
      addEventListener: (type: string, listener: () => void) => listeners.set(type, listener),
      remove() {},
      click() {
        fakeDocument.inputs.push({ accept: input.accept, webkitdirectory: input.webkitdirectory });
        input.files = fakeDocument.picking;
        setTimeout(() => listeners.get(fakeDocument.picking ? 'change' : 'cancel')?.(), 0);
      },
    };
    return input;
  },
  body: { append() {} },
};

/**
 * /shim.js run as a page would: a realm of its own with the browser's globals only (no Buffer,
 * so the codec's browser path runs), its fetch sent to the host the way the page's would be.
 */
async function loadShim(): Promise<AvatarStudioApi> {
  const script = await (
    await fetch(`${host.origin}/shim.js`, { headers: { [SECRET_HEADER]: host.secret } })
  ).text();
  const page = vm.createContext({
    btoa,
    atob,
    setTimeout,
    EventSource: FakeEventSource,
    document: fakeDocument,
    fetch: (url: string, init: RequestInit) =>
      fetch(new URL(url, host.origin), {
        ...init,
        headers: {
          ...(init.headers as Record<string, string>),
          origin: host.origin,
          [SECRET_HEADER]: host.secret,
        },
      }),
  });
  vm.runInContext(script, page);
  return (page as { avatarStudio: AvatarStudioApi }).avatarStudio;
}

test('the shim defines a read-only window.avatarStudio with every api method', async () => {
  const api = await loadShim();
  assert.deepEqual(Object.keys(api).sort(), [
    'addModel',
    'cancelModelJob',
    'cancelRun',
    'checkPhotos',
    'deleteNow',
    'exportAvatars',
    'imageUrl',
    'installModel',
    'listModels',
    'listRuns',
    'listStyles',
    'modelCatalog',
    'on',
    'runAvatars',
    'setDefaultModel',
    'startRun',
    'status',
    'updateSettings',
  ]);
  assert.ok(Object.isFrozen(api));
  assert.equal(api.imageUrl({ kind: 'avatar', id: 'a1' }), '/image/avatar/a1');
});

test('calls travel to the host with their bytes, results and errors come back typed', async () => {
  const api = await loadShim();
  const report = await api.checkPhotos([{ name: 'me.png', bytes: PNG_BYTES }]);
  assert.deepEqual(JSON.parse(JSON.stringify(report.verdicts)), [{ name: 'me.png', ok: true }]);
  const [, params] = service.calls.at(-1) ?? [];
  assert.deepEqual(params, { photos: [{ name: 'me.png', bytes: PNG_BYTES }] });

  const exported = await api.exportAvatars({
    avatarIds: ['a1'],
    size: 256,
    format: 'png',
    circle: true,
  });
  assert.deepEqual([...exported.bytes], [...PNG_BYTES]);

  await assert.rejects(api.runAvatars('r1'), {
    name: 'ApiError',
    code: 'NOT_FOUND',
    message: 'No run r1.',
  });
  await assert.rejects(api.runAvatars('../r1'), { name: 'ApiError', code: 'BAD_REQUEST' });
});

test('events arrive decoded through one EventSource on /api/events', async () => {
  FakeEventSource.opened = [];
  const api = await loadShim();
  const received: unknown[] = [];
  const stop = api.on('run:finished', (payload) => received.push(payload));
  api.on('run:progress', () => {});
  assert.deepEqual(
    FakeEventSource.opened.map((source) => source.url),
    ['/api/events'],
  );
  const [source] = FakeEventSource.opened;
  source?.listeners.get('run:finished')?.({
    data: '{"runId":"r1","cancelled":false,"avatars":[],"blocked":0}',
  });
  // Through JSON: the payload was made in the page's realm, with that realm's prototypes.
  assert.deepEqual(JSON.parse(JSON.stringify(received)), [
    { runId: 'r1', cancelled: false, avatars: [], blocked: 0 },
  ]);
  stop();
  assert.equal(source?.listeners.has('run:finished'), false);
});

test('adding a model: the browser picker, the files declared, then each streamed', async () => {
  const api = await loadShim();
  fakeDocument.picking = null;
  assert.equal(await api.addModel('file'), null);
  assert.equal(service.calls.filter(([method]) => method === 'models:add').length, 0);

  const start = service.uploads.length;
  fakeDocument.picking = [pickedFile('Dream (v8).safetensors', 'weights')];
  assert.deepEqual({ ...(await api.addModel('file')) }, { jobId: 'job1' });
  assert.deepEqual(JSON.parse(JSON.stringify(service.calls.at(-1))), [
    'models:add',
    {
      upload: {
        name: 'Dream (v8).safetensors',
        kind: 'checkpoint',
        files: [{ path: 'checkpoint.safetensors', bytes: 7 }],
      },
    },
  ]);
  const until = async (count: number) => {
    while (service.uploads.length < count) await new Promise((resolve) => setTimeout(resolve, 5));
  };
  await until(start + 1);
  assert.deepEqual(service.uploads.at(-1), {
    jobId: 'job1',
    path: 'checkpoint.safetensors',
    bytes: 7,
    received: 7,
  });

  // A folder: only its diffusers files, by their path inside it; hidden and other files stay.
  fakeDocument.picking = [
    pickedFile('sd-tiny/model_index.json', '{}'),
    pickedFile('sd-tiny/unet/config.json', '{"a":1}'),
    pickedFile('sd-tiny/.git/config.json', 'x'),
    pickedFile('sd-tiny/unet/model.bin', 'pickle'),
    pickedFile('sd-tiny/README.md', 'readme'),
  ];
  await api.addModel('folder');
  assert.deepEqual(JSON.parse(JSON.stringify(service.calls.at(-1))), [
    'models:add',
    {
      upload: {
        name: 'sd-tiny',
        kind: 'folder',
        files: [
          { path: 'model_index.json', bytes: 2 },
          { path: 'unet/config.json', bytes: 7 },
        ],
      },
    },
  ]);
  await until(start + 3);
  assert.deepEqual(
    service.uploads.slice(-2).map(({ path, received }) => [path, received]),
    [
      ['model_index.json', 2],
      ['unet/config.json', 7],
    ],
  );
  assert.deepEqual(fakeDocument.inputs.slice(-2), [
    { accept: '.safetensors', webkitdirectory: false },
    { accept: '', webkitdirectory: true },
  ]);

  fakeDocument.picking = [pickedFile('notes.txt', 'x')];
  await assert.rejects(api.addModel('file'), {
    code: 'BAD_REQUEST',
    message: /notes\.txt is not a \.safetensors checkpoint/,
  });
  fakeDocument.picking = [pickedFile('empty/README.md', 'x')];
  await assert.rejects(api.addModel('folder'), { message: /empty holds no model files/ });
});
