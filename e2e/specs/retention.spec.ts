import { expect, test } from '../support/fixtures.ts';
import { deleteNow, screenshot, startRun } from '../support/ui.ts';

const RETENTION_SECONDS = 15;
test.use({ hostSettings: { retentionSeconds: RETENTION_SECONDS } });

test('the countdown reaches zero and the avatars are gone from disk and screen', async ({
  app: page,
  host,
}) => {
  await startRun(page, { avatars: 2, styles: 1 });
  await expect(page.getByTestId('screen-gallery')).toBeVisible();
  await expect(page.getByTestId('avatar-card')).toHaveCount(2);
  const countdown = page.getByTestId('countdown');
  await expect(countdown).toContainText('Deleted in 0:');
  expect(await host.imageFiles()).not.toHaveLength(0);
  const avatarUrl = await page
    .getByTestId('avatar-card')
    .first()
    .locator('img')
    .getAttribute('src');

  // It ticks down each second, on screen.
  const first = Number(await countdown.getAttribute('data-seconds'));
  await expect
    .poll(async () => Number(await countdown.getAttribute('data-seconds')))
    .toBeLessThan(first);

  // Zero: the sweeper deleted everything; the gallery says so instead of showing broken images.
  await expect(page.getByTestId('gallery-empty')).toContainText('Your avatars were deleted', {
    timeout: (RETENTION_SECONDS + 30) * 1000,
  });
  await expect(page.getByTestId('avatar-card')).toHaveCount(0);
  expect(await host.imageFiles()).toEqual([]);
  const status = await page.evaluate((url) => fetch(url!).then((r) => r.status), avatarUrl);
  expect(status).toBe(404);
  await screenshot(page, '11-gallery-deleted');
});

test('"delete now" removes a run at once', async ({ app: page, host }) => {
  await startRun(page, { avatars: 2, styles: 1 });
  await expect(page.getByTestId('avatar-card')).toHaveCount(2);
  await deleteNow(page);
  await expect(page.getByTestId('gallery-empty')).toContainText('Your avatars were deleted');
  expect(await host.imageFiles()).toEqual([]);
});
