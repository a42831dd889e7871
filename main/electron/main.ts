/**
 * Electron's main process: wiring only. The app itself is main/app's AppService; the window
 * shows dist/renderer over app://, the preload exposes the api over IPC, and lockdown.ts applies
 * the rest of Electron's security checklist.
 *
 * Runs bundled as dist/electron/main.js (build.ts): the URLs below are relative to that bundle.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BrowserWindow, Menu, app, dialog, protocol, screen, session } from 'electron';
import type { AppService } from '../app/app-service.ts';
import { createAppService } from '../app/create-app-service.ts';
import { resolveDataDir } from '../store/data-folder.ts';
import { APP_ORIGIN, APP_SCHEME } from '../api/app-origin.ts';
import { appProtocolHandler } from './app-protocol.ts';
import { forwardEvents, serveApiOverIpc } from './ipc.ts';
import { lockDownContents, lockDownSession } from './lockdown.ts';
import { applicationMenu } from './menu.ts';
import { pickModel } from './model-dialog.ts';
import { MIN_SIZE, loadWindowState, saveWindowState, windowStateFile } from './window-state.ts';

const RENDERER_DIR = fileURLToPath(new URL('../renderer', import.meta.url));
const PRELOAD = fileURLToPath(new URL('./preload.cjs', import.meta.url));

// A standard, secure scheme: 'self' in the CSP covers it, and fetch works on it.
protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
]);
app.enableSandbox();
const dataDir = resolveDataDir();
// Chromium's own caches and storage stay apart from the app's database and encrypted images.
app.setPath('userData', path.join(dataDir, 'electron'));

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    const [window] = BrowserWindow.getAllWindows();
    if (window?.isMinimized()) window.restore();
    window?.focus();
  });
  app.on('web-contents-created', (_event, contents) => lockDownContents(contents));
  app.whenReady().then(start, fail);
}

async function start(): Promise<void> {
  lockDownSession(session.defaultSession);
  const service = await createAppService({ dataDir, pickModel });
  protocol.handle(APP_SCHEME, appProtocolHandler(service, RENDERER_DIR));
  serveApiOverIpc(service);
  Menu.setApplicationMenu(applicationMenu());
  openWindow(service);

  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) openWindow(service);
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  // The store must close (and its sweeper finish) before the process goes.
  let closed = false;
  app.on('will-quit', (event) => {
    if (closed) return;
    event.preventDefault();
    void service.close().finally(() => {
      closed = true;
      app.quit();
    });
  });
}

function openWindow(service: AppService): void {
  const stateFile = windowStateFile(dataDir);
  const state = loadWindowState(
    stateFile,
    screen.getAllDisplays().map((display) => display.workArea),
  );
  const window = new BrowserWindow({
    ...state.bounds,
    minWidth: MIN_SIZE.width,
    minHeight: MIN_SIZE.height,
    title: 'Avatar Studio',
    show: false,
    webPreferences: {
      preload: PRELOAD,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
    },
  });
  if (state.maximized) window.maximize();
  window.once('ready-to-show', () => window.show());
  const stopEvents = forwardEvents(service, window.webContents);
  window.on('close', () => saveWindowState(stateFile, window));
  window.on('closed', stopEvents);
  void window.loadURL(`${APP_ORIGIN}/`);
}

function fail(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  console.error('Avatar Studio could not start:', error);
  dialog.showErrorBox('Avatar Studio could not start', message);
  app.exit(1);
}
