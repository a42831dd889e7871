import { expect, test } from '../support/fixtures.ts';
import path from 'node:path';
import { SCREENSHOT_DIR, screenshot, startRun } from '../support/ui.ts';

test('cancel stops the run mid-way and deletes the uploads', async ({ app: page, host }) => {
  await startRun(page, { avatars: 30, styles: 3 });

  // Progress per avatar and overall, with an ETA once the first step is measured.
  await expect(page.getByTestId('avatar-slot')).toHaveCount(30);
  await expect(page.locator('[data-testid=avatar-slot][data-state=done]').first()).toBeVisible();
  // Quick, light only: with the tiny fixture model the whole run takes about 30 s.
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, '05-progress.png') });
  await page.getByRole('button', { name: 'Cancel run' }).click();
  await expect(page.getByTestId('eta')).toHaveCount(1);
  await expect(page.getByRole('heading', { name: 'Run cancelled' })).toBeVisible();
  await expect(page.getByTestId('run-outcome')).toContainText('your uploaded photos were deleted');
  const done = await page.locator('[data-testid=avatar-slot][data-state=done]').count();
  expect(done).toBeGreaterThan(0);
  expect(done).toBeLessThan(30);
  await screenshot(page, '10-cancelled', { dark: false });

  // Uploads are gone from disk at once; the avatars made before cancelling wait for the countdown.
  const runs = await host.call<{ uploads: number; avatars: number; status: string }[]>('runs:list');
  expect(runs).toHaveLength(1);
  expect(runs[0]).toMatchObject({ status: 'cancelled', uploads: 0 });
  expect(runs[0]!.avatars).toBe(done);

  await page.getByRole('button', { name: 'Open the gallery' }).click();
  await expect(page.getByTestId('avatar-card')).toHaveCount(done);
});
