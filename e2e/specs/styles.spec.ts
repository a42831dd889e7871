import { expect, test } from '../support/fixtures.ts';
import { addGoodPhotos, chooseStyles, naturalWidth, screenshot } from '../support/ui.ts';

test('up to five styles: a sixth is refused with a message and the choice stays', async ({
  app: page,
}) => {
  await addGoodPhotos(page);
  await page.getByRole('button', { name: 'Choose styles' }).click();
  const cards = page.getByTestId('style-card');
  await expect(cards).not.toHaveCount(0);
  // Every card shows its preview (served by the host, from models/previews).
  for (const img of await cards.locator('img').all()) {
    await img.scrollIntoViewIfNeeded();
    await expect.poll(() => naturalWidth(img)).toBeGreaterThan(0);
  }
  await page.getByTestId('screen-styles').locator('h1').scrollIntoViewIfNeeded();

  await chooseStyles(page, 5);
  await expect(page.getByTestId('style-counter')).toHaveText('5 of up to 5 chosen');
  await expect(page.getByTestId('style-notice')).toHaveCount(0);

  const sixth = cards.nth(5);
  await sixth.click();
  await expect(page.getByTestId('style-notice')).toContainText('You can choose up to 5 styles');
  await expect(sixth).toHaveAttribute('aria-pressed', 'false');
  await expect(page.getByTestId('style-counter')).toHaveText('5 of up to 5 chosen');
  await screenshot(page, '09-styles-sixth-refused');

  // Unselecting one makes room; the keyboard works as well as the mouse.
  await cards.nth(0).click();
  await sixth.focus();
  await page.keyboard.press('Enter');
  await expect(sixth).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByTestId('style-notice')).toHaveCount(0);
  await expect(page.getByTestId('style-counter')).toHaveText('5 of up to 5 chosen');
});
