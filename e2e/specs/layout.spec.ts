import type { Page } from '@playwright/test';
import { canHoldEvents, expectNothingClipped, holdEvents, releaseEvents } from '../support/a11y.ts';
import { expect, test } from '../support/fixtures.ts';
import { addGoodPhotos, toThePlan } from '../support/ui.ts';

test.use({ trace: 'off' });

/** A phone held upright, and a small laptop window. */
const SIZES = [
  { width: 390, height: 844 },
  { width: 800, height: 600 },
];

/** The screen as it is, in each size: every control whole, the step tabs named; screenshots. */
async function inEverySize(page: Page, screen: string, scope?: string) {
  for (const size of SIZES) {
    await page.setViewportSize(size);
    const name = `${screen}-${size.width}x${size.height}`;
    await expectNothingClipped(page, name, scope);
    if (!scope) {
      for (const label of await page.locator('.step-label').all())
        await expect(label).toBeVisible();
    }
  }
}

test('390×844 and 800×600: no control cut off on any screen, in any dialog', async ({
  app: page,
}) => {
  await canHoldEvents(page);
  await page.reload();
  await inEverySize(page, 'photos-empty');
  await addGoodPhotos(page);
  await inEverySize(page, 'photos');

  await toThePlan(page, { avatars: 4, styles: 2 }, (screen) => inEverySize(page, screen));

  await holdEvents(page);
  await page.getByRole('button', { name: 'Generate 4 avatars' }).click();
  await expect(page.getByTestId('screen-progress')).toBeVisible();
  await inEverySize(page, 'progress');
  await releaseEvents(page);

  await expect(page.getByTestId('avatar-card')).toHaveCount(4);
  await page.getByRole('button', { name: 'Select all' }).click();
  await inEverySize(page, 'gallery');

  await page.getByRole('button', { name: /^Export selected/ }).click();
  await inEverySize(page, 'export-several', '[data-testid=export-dialog]');
  await page.keyboard.press('Escape');
  await page
    .getByRole('button', { name: /^Export .* avatar from / })
    .first()
    .click();
  await inEverySize(page, 'export-one', '[data-testid=export-dialog]');
  await page.keyboard.press('Escape');

  await page.getByRole('button', { name: 'Delete now' }).click();
  await inEverySize(page, 'confirm-delete', '[data-testid=confirm-delete]');
  await page.keyboard.press('Escape');

  await page.getByRole('button', { name: 'Settings' }).click();
  await inEverySize(page, 'settings');
});
