import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findBrowser } from './browser.ts';

const only =
  (...files: string[]) =>
  (file: string) =>
    files.includes(file);

test('finds Chromium or Chrome on PATH before the install folders', () => {
  const env = { PATH: '/usr/local/bin:/usr/bin' };
  assert.equal(findBrowser(env, 'linux', only('/usr/bin/chromium')), '/usr/bin/chromium');
  assert.equal(findBrowser(env, 'linux', only('/usr/bin/google-chrome')), '/usr/bin/google-chrome');
  assert.equal(findBrowser(env, 'linux', only()), null);
});

test('looks where macOS and Windows install Chrome and Edge', () => {
  const chrome = '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome';
  assert.equal(findBrowser({ PATH: '/usr/bin' }, 'darwin', only(chrome)), chrome);
  const edge = 'C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe';
  const env = { Path: 'C:\\Windows', 'PROGRAMFILES(X86)': 'C:\\Program Files (x86)' };
  assert.equal(findBrowser(env, 'win32', only(edge)), edge);
});

test('AVATAR_STUDIO_BROWSER overrides the search', () => {
  assert.equal(findBrowser({ AVATAR_STUDIO_BROWSER: '/opt/b' }, 'linux', only()), '/opt/b');
});
