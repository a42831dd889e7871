/**
 * What of the Electron shell runs without an Electron binary: the bundle build, the preload (in a
 * realm of its own with a stand-in 'electron'), the app:// handler, the IPC sender check and the
 * window state, the menu's template and the fuses the packages are built with. The rest
 * (main.ts, ipc.ts, lockdown.ts, menu.ts) is wiring, only type-checked.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import vm from 'node:vm';
import type { AvatarStudioApi } from '../api/contract.ts';
import { PNG_BYTES, fakeService, rendererFixture } from '../testing/host.ts';
import { APP_ORIGIN, EVENT_CHANNEL, isAppFrame } from '../api/app-origin.ts';
import { appProtocolHandler } from './app-protocol.ts';
import { buildElectron } from '../../scripts/build-electron.ts';
import { menuTemplate } from './menu-template.ts';
import { loadWindowState, saveWindowState } from './window-state.ts';

let temp: string;
before(async () => {
  temp = await mkdtemp(path.join(tmpdir(), 'avatar-electron-'));
});
after(() => rm(temp, { recursive: true, force: true }));

describe('the bundle', () => {
  let outDir: string;
  before(async () => {
    outDir = path.join(temp, 'dist', 'electron');
    await buildElectron(outDir);
  });

  test('holds the main process, the engine and vision workers and a preload that requires only electron', async () => {
    const main = await readFile(path.join(outDir, 'main.js'), 'utf8');
    assert.match(main, /from "electron"/);
    for (const worker of ['worker.js', 'vision-worker.js']) {
      assert.ok(main.includes(`new URL("./${worker}", import.meta.url)`), worker);
      await readFile(path.join(outDir, worker));
    }
    const preload = await readFile(path.join(outDir, 'preload.cjs'), 'utf8');
    assert.deepEqual([...new Set(preload.match(/require\("[^"]*"\)/g))], ['require("electron")']);
  });

  test('the preload exposes the api over IPC; failures arrive as plain ApiError objects', async () => {
    const invoked: unknown[][] = [];
    const listeners = new Map<string, (...args: unknown[]) => void>();
    const replies: Record<string, unknown> = {
      'styles:list': { ok: true, result: [] },
      'runs:avatars': { ok: false, error: { code: 'NOT_FOUND', message: 'No run r1.' } },
      'models:add': { ok: true, result: null },
    };
    const exposed: Record<string, AvatarStudioApi> = {};
    const electron = {
      contextBridge: {
        exposeInMainWorld: (key: string, api: AvatarStudioApi) => (exposed[key] = api),
      },
      ipcRenderer: {
        invoke: async (...args: unknown[]) => {
          invoked.push(args);
          return replies[args[0] as string];
        },
        on: (channel: string, listener: (...args: unknown[]) => void) =>
          listeners.set(channel, listener),
        removeListener: (channel: string) => listeners.delete(channel),
      },
    };
    const script = await readFile(path.join(outDir, 'preload.cjs'), 'utf8');
    const module = { exports: {} };
    vm.runInNewContext(script, {
      module,
      exports: module.exports,
      require: (name: string) => (name === 'electron' ? electron : assert.fail(`required ${name}`)),
    });
    const api = exposed.avatarStudio;
    assert.ok(api);

    // Through JSON: values made in the preload's realm carry that realm's prototypes.
    const plain = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown;
    assert.deepEqual(await api.listStyles(), []);
    assert.deepEqual(plain(invoked), [['styles:list', {}]]);
    await assert.rejects(api.runAvatars('r1'), (error: unknown) => {
      assert.deepEqual(
        { ...(error as object) },
        { name: 'ApiError', code: 'NOT_FOUND', message: 'No run r1.' },
      );
      return true;
    });
    assert.equal(api.imageUrl({ kind: 'style', id: 'ink' }), `${APP_ORIGIN}/image/style/ink`);

    const progress: unknown[] = [];
    const stop = api.on('run:progress', (payload) => progress.push(payload));
    const deliver = listeners.get(EVENT_CHANNEL);
    deliver?.({}, 'run:finished', { runId: 'r1' });
    deliver?.({}, 'run:progress', { runId: 'r1' });
    assert.deepEqual(plain(progress), [{ runId: 'r1' }]);
    stop();
    assert.equal(listeners.has(EVENT_CHANNEL), false);

    // Adding a model asks the main process to open its dialog: no path or file in the page.
    assert.equal(await api.addModel('folder'), null);
    assert.deepEqual(plain(invoked.at(-1)), ['models:add', { pick: 'folder' }]);
  });
});

describe('IPC senders', () => {
  test('only the app page’s top frame may call', () => {
    assert.equal(isAppFrame({ url: `${APP_ORIGIN}/index.html`, parent: null }), true);
    assert.equal(isAppFrame({ url: `${APP_ORIGIN}/`, parent: {} }), false);
    assert.equal(isAppFrame({ url: 'https://evil.example/', parent: null }), false);
    assert.equal(isAppFrame({ url: `${APP_ORIGIN}.evil.example/`, parent: null }), false);
    assert.equal(isAppFrame({ url: 'file:///etc/passwd', parent: null }), false);
    assert.equal(isAppFrame(null), false);
  });
});

describe('app://', () => {
  const service = fakeService();
  let handle: (request: Request) => Promise<Response>;
  let removeRenderer: () => Promise<void>;
  before(async () => {
    const { rendererDir, remove } = await rendererFixture();
    removeRenderer = remove;
    handle = appProtocolHandler(service, rendererDir);
  });
  after(() => removeRenderer());

  const get = (url: string) => handle(new Request(url));

  test('serves the renderer with the CSP, and the images by id', async () => {
    const page = await get(`${APP_ORIGIN}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    assert.match(await page.text(), /shim\.js/);
    const shim = await get(`${APP_ORIGIN}/shim.js`);
    assert.equal(shim.headers.get('content-type'), 'text/javascript; charset=utf-8');
    const image = await get(`${APP_ORIGIN}/image/avatar/a1`);
    assert.equal(image.headers.get('content-type'), 'image/png');
    assert.deepEqual(new Uint8Array(await image.arrayBuffer()), PNG_BYTES);
  });

  test('refuses other hosts, paths outside the renderer and path-like ids', async () => {
    assert.equal((await get('app://elsewhere/index.html')).status, 404);
    assert.equal((await get(`${APP_ORIGIN}/%2e%2e/secret.txt`)).status, 404);
    assert.equal((await get(`${APP_ORIGIN}/assets/..%2f..%2fsecret.txt`)).status, 404);
    assert.equal((await get(`${APP_ORIGIN}/assets`)).status, 404);
    assert.equal((await get(`${APP_ORIGIN}/image/avatar/..%2fx`)).status, 400);
    assert.equal((await get(`${APP_ORIGIN}/image/avatar/gone`)).status, 404);
  });
});

describe('window state', () => {
  const screens = [{ x: 0, y: 0, width: 1920, height: 1080 }];
  const window = (x: number, y: number, maximized = false) => ({
    getNormalBounds: () => ({ x, y, width: 1000, height: 700 }),
    isMaximized: () => maximized,
  });

  test('comes back as it was left while it is still on a screen', () => {
    const file = path.join(temp, 'window-state.json');
    saveWindowState(file, window(100, 50, true));
    assert.deepEqual(loadWindowState(file, screens), {
      bounds: { x: 100, y: 50, width: 1000, height: 700 },
      maximized: true,
    });
  });

  test('falls back to the default off-screen, unreadable or missing', async () => {
    const file = path.join(temp, 'window-state.json');
    saveWindowState(file, window(2500, 50));
    assert.equal(loadWindowState(file, screens).bounds.x, undefined);
    await writeFile(file, '{"bounds":{"x":"0"}}');
    assert.equal(loadWindowState(file, screens).bounds.x, undefined);
    assert.equal(loadWindowState(path.join(temp, 'none.json'), screens).maximized, false);
  });
});

describe('hardening of the packaged app', () => {
  const roles = (items: ReturnType<typeof menuTemplate>): string[] =>
    items.flatMap((item) => [
      ...(item.role ? [item.role] : []),
      ...(Array.isArray(item.submenu) ? roles(item.submenu) : []),
    ]);

  test('the packaged menu offers no developer tools and no reload; development keeps them', () => {
    for (const platform of ['darwin', 'win32', 'linux'] as const) {
      const packaged = roles(menuTemplate(platform, true));
      assert.ok(!packaged.includes('toggleDevTools') && !packaged.includes('reload'), platform);
      assert.ok(!packaged.includes('viewMenu'), 'the standard View menu holds the DevTools');
      assert.ok(roles(menuTemplate(platform, false)).includes('toggleDevTools'));
    }
  });

  test('electron-builder flips the fuses: no RunAsNode, NODE_OPTIONS or inspect; asar only, checked', async () => {
    const yaml = await readFile('electron-builder.yml', 'utf8');
    const block = /^electronFuses:\n((?: {2}\w+: \w+\n)+)/m.exec(yaml)?.[1] ?? '';
    const fuses = Object.fromEntries(
      [...block.matchAll(/^ {2}(\w+): (\w+)$/gm)].map(([, key, value]) => [key, value]),
    );
    assert.deepEqual(fuses, {
      runAsNode: 'false',
      enableCookieEncryption: 'true',
      enableNodeOptionsEnvironmentVariable: 'false',
      enableNodeCliInspectArguments: 'false',
      enableEmbeddedAsarIntegrityValidation: 'true',
      onlyLoadAppFromAsar: 'true',
      grantFileProtocolExtraPrivileges: 'false',
    });
  });
});
