import { expect, test } from '../support/fixtures.ts';
import { openModelScreen, screenshot } from '../support/ui.ts';

test('no model installed: the model screen offers the catalogue and adding one, no error', async ({
  page,
}) => {
  const host = await openModelScreen(page);
  try {
    const sdTurbo = page.getByTestId('catalog-model').filter({ hasText: 'SD-Turbo' }).first();
    await expect(sdTurbo.getByRole('button', { name: 'Install…' })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Add a .safetensors file…' })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Add a model folder…' })).toBeVisible();
    await page.getByText('From a terminal instead').click();
    await expect(page.getByText('npm run models -- install sd-turbo')).toBeVisible();
    await expect(page.getByRole('alert')).toHaveCount(0);
    await screenshot(page, '13-model-missing');
  } finally {
    await host.close();
  }
});

test('settings: model, device, retention, daily limit, theme', async ({ app: page }) => {
  await page.getByRole('button', { name: 'Settings' }).click();
  await expect(page.getByTestId('screen-settings')).toBeVisible();
  await expect(page.getByTestId('settings-device')).toHaveText('CPU');
  await expect(page.getByTestId('model-in-use')).toContainText('turbo');

  await page
    .getByLabel('Delete photos and avatars')
    .selectOption({ label: '1 minute after the run' });
  await expect(page.getByTestId('settings-status')).toHaveText('Saved.');
  // Saved first, then shown: the switch follows the host's settings.
  await page.getByRole('checkbox', { name: /Instant mode/ }).click();
  await expect(page.getByRole('checkbox', { name: /Instant mode/ })).toBeChecked();
  await screenshot(page, '14-settings');

  // The system's scheme rules until the user picks one; a pick outlasts a system change.
  const body = page.locator('body');
  await page.emulateMedia({ colorScheme: 'dark' });
  await expect(body).toHaveCSS('background-color', 'rgb(17, 18, 20)');
  await page.emulateMedia({ colorScheme: 'light' });
  await expect(body).toHaveCSS('background-color', 'rgb(245, 246, 248)');
  await page.getByRole('radio', { name: 'Dark' }).check();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await expect(body).toHaveCSS('background-color', 'rgb(17, 18, 20)');
  await page.getByRole('button', { name: 'Back to the studio' }).click();
  await page.getByRole('button', { name: /Generate/ }).click();
  await expect(page.getByTestId('retention-rule')).toContainText('1 minute after the run ends');
  await expect(page.getByTestId('retention-rule')).toContainText(
    'as soon as the last avatar is made',
  );
});

test('keyboard: every step is reachable with Tab, and focus is visible', async ({ app: page }) => {
  await page.keyboard.press('Tab');
  const focused = () => page.evaluate<string>("document.activeElement?.textContent ?? ''");
  const seen: string[] = [];
  for (let i = 0; i < 12; i++) {
    seen.push(await focused());
    await page.keyboard.press('Tab');
  }
  for (const step of ['Photos', 'Styles', 'Generate', 'Gallery', 'Choose photos…']) {
    expect(seen.some((text) => text.includes(step))).toBe(true);
  }
  await page.getByRole('button', { name: /Gallery/ }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('gallery-empty')).toContainText('No avatars yet');
  await screenshot(page, '15-gallery-empty');
});
