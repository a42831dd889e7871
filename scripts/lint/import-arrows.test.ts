import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { runtimeOf } from './import-arrows.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// The repository's own config, so a test that passes here is the lint `npm test` runs.
const eslint = new ESLint({ cwd: ROOT });

/** The import-arrows messages for `code` as if it were the file at `file` (from the root). */
async function arrows(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
  return result!.messages
    .filter((message) => message.ruleId === 'import-arrows/runtime')
    .map((message) => message.message);
}

describe('import arrows', () => {
  it('places each part of the tree in the runtime it runs in', () => {
    const cases: [string, string][] = [
      ['renderer/src/App.tsx', 'renderer'],
      ['renderer/src/state.test.ts', 'test'],
      ['main/api/contract.ts', 'shared'],
      ['main/api/bridge.ts', 'shared'],
      ['main/api/codec.ts', 'shared'],
      ['main/app/validate.ts', 'core'],
      ['main/page/page.ts', 'page'],
      ['main/host/server.ts', 'host'],
      ['main/preload/preload.ts', 'preload'],
      ['main/electron/main.ts', 'electron'],
      ['scripts/build-electron.ts', 'dev'],
      ['main/cli/models.ts', 'cli'],
      ['main/testing/cli.ts', 'test'],
      ['main/engine/pipeline.ts', 'core'],
      ['main/testing/store.ts', 'test'],
      ['main/store/testing.ts', 'core'],
      ['scripts/bench.ts', 'dev'],
    ];
    for (const [file, runtime] of cases) assert.equal(runtimeOf(file)?.name, runtime, file);
  });

  it('fails a deliberate wrong arrow: the page reaching for Node, the store and a native package', async () => {
    const fixture = [
      "import { readFileSync } from 'node:fs';",
      "import { openStore } from '../../main/store/index.ts';",
      "import sharp from 'sharp';",
      'export const wrong = [readFileSync, openStore, sharp];',
    ].join('\n');
    assert.deepEqual(await arrows('renderer/src/wrong-arrow.ts', fixture), [
      'renderer (the React page, in Chromium) may not import Node builtin "node:fs": it runs where Node does not.',
      'renderer (the React page, in Chromium) may not import main/store/index.ts, which is core (intake, jobs, engine, moderation and store, in plain Node).',
      'renderer (the React page, in Chromium) may not import package "sharp".',
    ]);
  });

  it('fails the core leaning on Electron, on a host, or on test support', async () => {
    const fixture = [
      "import { app } from 'electron';",
      "import { startAppHost } from '../host/app-host.ts';",
      "export { tempDataDir } from '../testing/store.ts';",
      "export const load = () => import('../cli/run-cli.ts');",
      'export const wrong = [app, startAppHost];',
    ].join('\n');
    const messages = await arrows('main/jobs/wrong-arrow.ts', fixture);
    assert.equal(messages.length, 4, messages.join('\n'));
    assert.match(messages[0]!, /may not import package "electron"/);
    assert.match(messages[1]!, /main\/host\/app-host\.ts, which is host/);
    assert.match(messages[2]!, /main\/testing\/store\.ts, which is test/);
    assert.match(messages[3]!, /main\/cli\/run-cli\.ts, which is cli/);
  });

  it('fails a bare builtin in shared code and lets the preload require only electron', async () => {
    assert.deepEqual(await arrows('main/api/wrong-arrow.ts', "import 'fs';"), [
      'shared (shared by the page and the hosts: the api, its bridge and limits, the routes both speak) may not import Node builtin "fs": it runs where Node does not.',
    ]);
    assert.deepEqual(
      await arrows(
        'main/preload/preload.ts',
        "import { ipcRenderer } from 'electron';\nexport { ipcRenderer };",
      ),
      [],
    );
    assert.equal(
      (
        await arrows(
          'main/preload/preload.ts',
          "import { openStore } from '../store/index.ts';\nexport { openStore };",
        )
      ).length,
      1,
    );
  });

  it('lets tests and tools import anything', async () => {
    const fixture = "import { openStore } from '../../main/store/index.ts';\nexport { openStore };";
    assert.deepEqual(await arrows('scripts/bench/wrong-arrow.ts', fixture), []);
    assert.deepEqual(
      await arrows('e2e/specs/wrong-arrow.ts', "import '../../main/store/index.ts';"),
      [],
    );
  });
});
