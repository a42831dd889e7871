import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { _electron as electron, expect, test } from '@playwright/test';
import { buildElectron, ELECTRON_OUT_DIR } from '../../scripts/build-electron.ts';
import { importModel } from '../../main/models/import.ts';
import { fixtureModel } from '../../scripts/fixtures/cache.ts';

/**
 * The same UI in the real Electron shell, where an Electron binary is installed (a release
 * machine, a developer's machine with internet). These machines cannot download one, so here the
 * spec is skipped and says why; the loopback specs cover the UI itself.
 */
function electronBinary(): string | undefined {
  try {
    const binary = createRequire(import.meta.url)('electron') as unknown;
    return typeof binary === 'string' && existsSync(binary) ? binary : undefined;
  } catch {
    return undefined; // the package throws when its binary download failed
  }
}

const binary = electronBinary();

test('the Electron shell serves the app over app:// with window.avatarStudio and no Node', async () => {
  test.skip(!binary, 'no Electron binary is installed (its download needs internet)');
  const dataDir = await mkdtemp(path.join(tmpdir(), 'avatar-electron-'));
  try {
    await importModel({ dataDir, source: await fixtureModel('turbo') });
    await buildElectron();
    const app = await electron.launch({
      executablePath: binary!,
      args: [path.join(ELECTRON_OUT_DIR, 'main.js')],
      env: { ...process.env, AVATAR_STUDIO_DATA: dataDir },
    });
    try {
      const page = await app.firstWindow();
      expect(page.url()).toMatch(/^app:\/\//);
      await expect(page.getByText('Avatar Studio').first()).toBeVisible();
      expect(await page.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe(
        'undefined',
      );
      const styles = await page.evaluate(() =>
        (
          globalThis as unknown as { avatarStudio: { listStyles(): Promise<unknown[]> } }
        ).avatarStudio.listStyles(),
      );
      expect(styles.length).toBeGreaterThanOrEqual(12);
    } finally {
      await app.close();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
