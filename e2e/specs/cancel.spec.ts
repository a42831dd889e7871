import { expect, test } from '../support/fixtures.ts';
import path from 'node:path';
import { SCREENSHOT_DIR, cancelRun, screenshot, startRun } from '../support/ui.ts';

// Big avatars make each one take long enough to cancel between them: at the suite's 64 px the
// fixture model makes all 30 in a second or two, over before the click lands.
test.use({ avatarSize: 768 });

test('cancel stops the run mid-way and deletes the uploads', async ({ app: page, host }) => {
  await startRun(page, { avatars: 30, styles: 3 });

  // Progress per avatar and overall, with an ETA once the first step is measured.
  await expect(page.getByTestId('avatar-slot')).toHaveCount(30);
  await expect(page.getByTestId('eta')).toHaveCount(1);
  // Quick, light only, and before the first avatar lands: nothing slows the click after it.
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, '05-progress.png') });
  // waitFor watches the page itself; expect's retries back off to a second between looks.
  await page.locator('[data-testid=avatar-slot][data-state=done]').first().waitFor();
  await cancelRun(page);
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
