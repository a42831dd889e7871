/**
 * The system's Chromium-family browser, for `npm start` where no Electron binary is installed:
 * its app mode (`--app=URL`) gives a window without tabs or an address bar, close to Electron's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const PATH_NAMES = [
  'chromium',
  'chromium-browser',
  'google-chrome',
  'google-chrome-stable',
  'chrome',
  'microsoft-edge',
  'msedge',
];

function installedLocations(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): string[] {
  switch (platform) {
    case 'darwin':
      return [
        '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
        '/Applications/Chromium.app/Contents/MacOS/Chromium',
        '/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge',
      ];
    case 'win32': {
      const roots = [env.PROGRAMFILES, env['PROGRAMFILES(X86)'], env.LOCALAPPDATA].filter(
        (root): root is string => Boolean(root),
      );
      return roots.flatMap((root) => [
        path.win32.join(root, 'Google', 'Chrome', 'Application', 'chrome.exe'),
        path.win32.join(root, 'Microsoft', 'Edge', 'Application', 'msedge.exe'),
      ]);
    }
    default:
      return [];
  }
}

/**
 * AVATAR_STUDIO_BROWSER when set, else the first Chromium, Chrome or Edge on PATH or in the
 * platform's usual install folders; null when there is none.
 */
export function findBrowser(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  exists: (file: string) => boolean = existsSync,
): string | null {
  if (env.AVATAR_STUDIO_BROWSER) return env.AVATAR_STUDIO_BROWSER;
  const pathApi = platform === 'win32' ? path.win32 : path.posix;
  const extensions = platform === 'win32' ? ['.exe'] : [''];
  const dirs = (env.PATH ?? env.Path ?? '').split(pathApi.delimiter).filter(Boolean);
  const onPath = PATH_NAMES.flatMap((name) =>
    dirs.flatMap((dir) => extensions.map((ext) => pathApi.join(dir, name + ext))),
  );
  return [...onPath, ...installedLocations(platform, env)].find(exists) ?? null;
}

/**
 * Opens `url` in an app-mode window of its own profile (so it shares nothing with the user's
 * browsing, and its exit means the user closed the app), with Chromium's own calls home off.
 */
export function openAppWindow(browser: string, url: string, profileDir: string): ChildProcess {
  const args = [
    `--app=${url}`,
    `--user-data-dir=${profileDir}`,
    '--no-first-run',
    '--no-default-browser-check',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-default-apps',
    '--disable-extensions',
  ];
  // Chromium refuses to run as root with its sandbox on (containers, some live systems).
  if (process.getuid?.() === 0) args.push('--no-sandbox');
  return spawn(browser, args, { stdio: 'ignore' });
}
