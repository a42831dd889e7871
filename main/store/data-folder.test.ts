import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { resolveDataDir } from './data-folder.ts';

test('AVATAR_STUDIO_DATA wins on every platform', () => {
  for (const platform of ['linux', 'darwin', 'win32'] as const) {
    assert.equal(
      resolveDataDir({ AVATAR_STUDIO_DATA: 'rel/data', APPDATA: 'C:\\x' }, platform, '/home/u'),
      path.resolve('rel/data'),
    );
  }
});

test("otherwise the folder Electron's app.getPath('userData') gives an app named Avatar Studio", () => {
  assert.equal(resolveDataDir({}, 'linux', '/home/u'), '/home/u/.config/Avatar Studio');
  assert.equal(
    resolveDataDir({ XDG_CONFIG_HOME: '/xdg' }, 'linux', '/home/u'),
    '/xdg/Avatar Studio',
  );
  assert.equal(
    resolveDataDir({}, 'darwin', '/Users/u'),
    '/Users/u/Library/Application Support/Avatar Studio',
  );
  assert.equal(
    resolveDataDir({ APPDATA: '/appdata' }, 'win32', '/home/u'),
    path.join('/appdata', 'Avatar Studio'),
  );
});
