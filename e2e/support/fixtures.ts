/**
 * The suite's `test`: every test gets its own host (fresh data folder, so the daily quota and the
 * retention clock start clean) and a page signed in to it, and fails if the page asked for
 * anything but that host on 127.0.0.1.
 */
import { test as base, expect, type Page } from '@playwright/test';
import type { Settings } from '../../main/api/contract.ts';
import { E2E_AVATAR_SIZE, startTestHost, type TestHost } from './host.ts';

interface Fixtures {
  /** Settings applied before the page opens (a short retention, a higher daily limit...). */
  hostSettings: Partial<Settings>;
  /** Avatar width in pixels; small by default, since the fixture model makes noise anyway. */
  avatarSize: number;
  host: TestHost;
  /** Every URL the page requested, in order. */
  requests: string[];
  /** The page, signed in to the host and showing the first screen. */
  app: Page;
}

/** URLs the page may use: its own origin, and blob:/data: URLs it made itself (no network). */
export function isLocal(url: string, origin: string): boolean {
  return url.startsWith(`${origin}/`) || url.startsWith('blob:') || url.startsWith('data:');
}

export const test = base.extend<Fixtures>({
  hostSettings: [{}, { option: true }],
  avatarSize: [E2E_AVATAR_SIZE, { option: true }],
  host: async ({ hostSettings, avatarSize }, use) => {
    const host = await startTestHost(hostSettings, { size: avatarSize });
    await use(host);
    await host.close();
  },
  requests: async ({ context, host }, use) => {
    const seen: string[] = [];
    // Anything else is refused before it leaves the browser, and recorded so the test fails.
    await context.route('**/*', (route) => {
      const url = route.request().url();
      return isLocal(url, host.origin) ? route.continue() : route.abort('blockedbyclient');
    });
    context.on('request', (request) => seen.push(request.url()));
    await use(seen);
    const foreign = seen.filter((url) => !isLocal(url, host.origin));
    expect(foreign, 'requests that left 127.0.0.1').toEqual([]);
  },
  app: async ({ page, host, requests }, use) => {
    void requests;
    await page.goto(host.url);
    await expect(page.getByTestId('app-loading')).toHaveCount(0);
    await use(page);
  },
});

export { expect };
