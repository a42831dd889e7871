import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import vm from 'node:vm';
import type { AvatarStudioApi } from '../api/contract.ts';
import { type Host, SECRET_HEADER, startHost } from './server.ts';
import { type FakeService, PNG_BYTES, fakeService, rendererFixture } from './testing.ts';

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
    EventSource: FakeEventSource,
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
    'cancelRun',
    'checkPhotos',
    'deleteNow',
    'exportAvatars',
    'imageUrl',
    'listModels',
    'listRuns',
    'listStyles',
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
