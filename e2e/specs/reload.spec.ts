import { canHoldEvents, releaseEvents } from '../support/a11y.ts';
import { expect, test } from '../support/fixtures.ts';
import { naturalWidth, startRun } from '../support/ui.ts';

// Avatars slow enough that the run is still going after the page has reloaded: at 512 px and 20
// avatars, a fast CI machine finished the run within a reload that the host, then computing tfjs
// on the thread that answers the page, took seconds to serve.
test.use({ avatarSize: 768 });

const TOTAL = 30;

test('a reload mid-run shows the avatars made and the counter; after the run, the gallery', async ({
  app: page,
}) => {
  await startRun(page, { avatars: TOTAL, styles: 2 });
  const done = page.locator('[data-testid=avatar-slot][data-state=done]');
  await done.nth(1).waitFor();

  // Mid-run: the avatars made so far, as pictures (not empty "pending" tiles), and the counter,
  // from what the host says at load (its events held meanwhile, so none of them fills it in).
  await canHoldEvents(page, { held: true });
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Generating your avatars' })).toBeVisible();
  await expect(page.getByTestId('avatar-slot')).toHaveCount(TOTAL);
  await expect(page.getByTestId('overall-count')).toHaveText(
    new RegExp(`^\\d+ of ${TOTAL} avatars$`),
  );
  const made = Number((await page.getByTestId('overall-count').textContent())?.split(' ')[0]);
  expect(made).toBeGreaterThanOrEqual(2);
  expect(made).toBeLessThan(TOTAL);
  expect(await done.count()).toBeGreaterThanOrEqual(2);
  for (const img of await done.locator('img').all()) {
    await expect.poll(() => naturalWidth(img)).toBeGreaterThan(0);
  }

  // The run ends in the gallery, as it would have without the reload.
  await releaseEvents(page);
  await expect(page.getByTestId('screen-gallery')).toBeVisible();
  await expect(page.getByTestId('avatar-card')).toHaveCount(TOTAL);

  // After the run: the app opens where the avatars wait, and the studio says they are there.
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Your avatars', exact: true })).toBeVisible();
  await expect(page.getByTestId('avatar-card')).toHaveCount(TOTAL);
  await expect(page.getByTestId('countdown')).toContainText('Deleted in');
  await page.getByRole('button', { name: /Photos/ }).click();
  await expect(page.getByTestId('avatars-waiting')).toContainText(
    `${TOTAL} avatars from your last run`,
  );

  // The next run's estimate is the time this one measured, not a flat figure.
  await page.getByRole('button', { name: /Generate/ }).click();
  await expect(page.getByTestId('plan-eta')).toHaveText(
    /^About \d+ (s|min \d\d s) \(measured by the last run on this computer\)$/,
  );
});
