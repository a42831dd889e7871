/**
 * `npm start`: the desktop app in Electron where its binary is installed. Elsewhere (an offline
 * install skips Electron's binary download) the same app is served on 127.0.0.1 (main/host) and
 * opened in the system's Chromium, Chrome or Edge in app mode, or its address is printed. It
 * always says which, and why. Needs the built UI in dist/renderer.
 *   AVATAR_STUDIO_DATA   the data folder (default: the per-user app data folder)
 *   AVATAR_STUDIO_BROWSER   the browser to open instead of the first one found
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildElectron } from './build-electron.ts';
import { startAppHost } from '../main/host/app-host.ts';
import { findBrowser, openAppWindow } from '../main/host/browser.ts';
import type { Host } from '../main/host/server.ts';
import { resolveDataDir } from '../main/store/data-folder.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The Electron binary's path, or why there is none. */
function electronBinary(): { binary: string } | { reason: string } {
  let binary: unknown;
  try {
    // The electron package exports its binary's path and throws when the binary never arrived.
    binary = createRequire(import.meta.url)('electron');
  } catch (error) {
    const missing = (error as { code?: unknown }).code === 'MODULE_NOT_FOUND';
    return {
      reason: missing
        ? 'the electron package is not installed'
        : 'the electron package has no binary (its download failed or ELECTRON_SKIP_BINARY_DOWNLOAD was set)',
    };
  }
  if (typeof binary !== 'string' || !existsSync(binary)) {
    return { reason: `Electron's binary is missing (${String(binary)})` };
  }
  return { binary };
}

async function startElectron(binary: string): Promise<number> {
  await buildElectron();
  console.log('Starting Avatar Studio in Electron.');
  const child = spawn(binary, [ROOT], { stdio: 'inherit' });
  return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
}

async function startInBrowser(reason: string): Promise<number> {
  console.log(`Not using Electron: ${reason}. Serving the app on 127.0.0.1 instead.`);
  const host = await startAppHost();
  const browser = findBrowser();
  const headless =
    process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY;
  if (!browser || headless) {
    console.log(
      browser ? 'No display to open a window on.' : 'No Chromium, Chrome or Edge was found.',
    );
    return serveUntilStopped(host);
  }
  const dataDir = resolveDataDir();
  await mkdir(dataDir, { recursive: true });
  // A fresh profile per launch: the window shares no cookies or cache with the user's browsing,
  // and its process exits when the user closes it.
  const profile = await mkdtemp(path.join(dataDir, 'browser-'));
  console.log(`Opening it in ${browser} (app mode).`);
  const window = openAppWindow(browser, host.url, profile);
  const stopWindow = () => window.kill();
  process.once('SIGINT', stopWindow);
  process.once('SIGTERM', stopWindow);
  const code = await new Promise<number | null>((resolve) => {
    window.once('error', () => resolve(null));
    window.once('exit', (exitCode) => resolve(exitCode));
  });
  process.off('SIGINT', stopWindow);
  process.off('SIGTERM', stopWindow);
  await rm(profile, { recursive: true, force: true });
  if (code === 0 || window.signalCode) {
    await host.close();
    return 0;
  }
  console.log(`The browser could not open a window (exit code ${code ?? 'none'}).`);
  return serveUntilStopped(host);
}

async function serveUntilStopped(host: Host): Promise<number> {
  console.log(`Open ${host.url} in Chromium or Chrome (it admits only that address).`);
  console.log('Ctrl+C stops Avatar Studio.');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await host.close();
  return 0;
}

const electron = electronBinary();
const exitCode = await (
  'binary' in electron ? startElectron(electron.binary) : startInBrowser(electron.reason)
).catch((error: unknown) => {
  console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
  return 1;
});
process.exit(exitCode);
