import { existsSync } from 'node:fs';
import { defineConfig } from '@playwright/test';

/**
 * Chromium drives the real app behind the loopback host (one fresh host per test, see
 * support/fixtures.ts). Debian's Chromium by default (`npx playwright install` is not needed);
 * AVATAR_STUDIO_BROWSER points elsewhere.
 */
const executablePath =
  process.env.AVATAR_STUDIO_BROWSER ??
  (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined);

export default defineConfig({
  testDir: 'specs',
  outputDir: '../test-results/e2e',
  globalSetup: './global-setup.ts',
  // One browser and one model at a time: the machines are small and every spec starts a host.
  workers: 1,
  fullyParallel: false,
  timeout: 240_000,
  expect: { timeout: 60_000 },
  reporter: process.env.CI
    ? [['list'], ['html', { open: 'never', outputFolder: '../playwright-report' }]]
    : 'list',
  use: {
    browserName: 'chromium',
    viewport: { width: 1280, height: 860 },
    colorScheme: 'light',
    acceptDownloads: true,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      ...(executablePath && { executablePath }),
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    },
  },
});
