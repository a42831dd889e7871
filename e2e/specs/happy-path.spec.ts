import { readFile } from 'node:fs/promises';
import { METADATA_CHUNKS, readPng } from '../support/png.ts';
import { expect, test } from '../support/fixtures.ts';
import {
  GOOD_PHOTOS,
  addGoodPhotos,
  chooseStyles,
  naturalWidth,
  screenshot,
} from '../support/ui.ts';

// At the suite's 64 px, four avatars can be done before the progress bar is looked for; the
// product's own size leaves the run in flight long enough to see it.
test.use({ avatarSize: 512 });

test('three real photos and two styles make avatars that export as a clean 256 px PNG', async ({
  app: page,
  host,
  requests,
}) => {
  await expect(page.getByTestId('screen-photos')).toBeVisible();
  await expect(page.getByTestId('photo-counter')).toHaveText('0 of 3–10 photos');
  await screenshot(page, '01-photos-empty');

  await addGoodPhotos(page);
  await expect(page.getByRole('button', { name: 'Choose styles' })).toBeEnabled();
  await screenshot(page, '02-photos-accepted');

  await page.getByRole('button', { name: 'Choose styles' }).click();
  await chooseStyles(page, 2);
  await expect(page.getByTestId('style-counter')).toHaveText('2 of up to 5 chosen');
  await screenshot(page, '03-styles');

  await page.getByRole('button', { name: 'Review and generate' }).click();
  const count = page.getByLabel('Number of avatars', { exact: true });
  await count.fill('4');
  // What will happen, said before the start: the number, the model, the device, a time, the rules.
  await expect(page.getByRole('button', { name: 'Generate 4 avatars' })).toBeEnabled();
  await expect(page.getByTestId('plan-model')).toContainText('turbo');
  await expect(page.getByTestId('plan-device')).toHaveText('CPU');
  // Nothing measured on this computer yet: no made-up figure.
  await expect(page.getByTestId('plan-eta')).toContainText('Estimating');
  await expect(page.getByTestId('quota-rule')).toContainText("Starting uses today's run");
  await expect(page.getByTestId('retention-rule')).toContainText('5 minutes after the run ends');
  await screenshot(page, '04-generate');

  await page.getByRole('button', { name: 'Generate 4 avatars' }).click();
  await expect(page.getByTestId('screen-progress')).toBeVisible();
  await expect(page.getByRole('progressbar', { name: 'Overall progress' })).toBeVisible();

  // The run ends in the gallery, every avatar shown, with its deletion countdown.
  await expect(page.getByTestId('screen-gallery')).toBeVisible();
  await expect(page.getByTestId('avatar-card')).toHaveCount(4);
  await expect(page.getByTestId('countdown')).toContainText('Deleted in 4:');
  for (const img of await page.getByTestId('avatar-card').locator('img').all()) {
    await expect.poll(() => naturalWidth(img)).toBeGreaterThan(0);
  }
  await screenshot(page, '06-gallery');

  // Export one: 256 px PNG, circular crop, metadata stripped.
  await page
    .getByRole('button', { name: /^Export .* avatar from / })
    .first()
    .click();
  const dialog = page.getByTestId('export-dialog');
  await expect(dialog).toBeVisible();
  await dialog.getByRole('radio', { name: '256×256' }).check();
  await dialog.getByRole('checkbox', { name: /Circular crop/ }).check();
  await screenshot(page, '07-export');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    dialog.getByRole('button', { name: 'Export', exact: true }).click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/\.png$/);
  const png = readPng(await readFile(await download.path()));
  expect(png).toMatchObject({ width: 256, height: 256, colorType: 6 });
  expect(png.chunks.filter((chunk) => METADATA_CHUNKS.includes(chunk))).toEqual([]);
  await expect(dialog.getByTestId('export-outcome')).toContainText('Saved');

  // Every request of the whole flow went to this host on 127.0.0.1 (the fixture also checks).
  expect(requests.length).toBeGreaterThan(10);
  expect(
    requests.every((url) => url.startsWith(`${host.origin}/`) || url.startsWith('blob:')),
  ).toBe(true);
  expect(GOOD_PHOTOS).toHaveLength(3);
});
