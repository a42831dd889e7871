import { readFile } from 'node:fs/promises';
import { expect, test } from '../support/fixtures.ts';
import { addPhotos, expectVerdict, naturalWidth, photo } from '../support/ui.ts';

test('a HEIC photo, the iPhone default, is accepted and previewed', async ({ app: page }) => {
  const name = 'IMG_0412.HEIC';
  await addPhotos(page, [
    { name, mimeType: 'image/heic', buffer: await readFile(photo('heic/sample3-face2.heic')) },
  ]);
  await expectVerdict(page, name, 'OK', /Looks good/);
  // Chromium cannot show the file itself: the card shows the JPEG the host made from it.
  const thumbnail = page.getByTestId('photo-card').getByRole('img', { name: `Photo ${name}` });
  await expect(thumbnail).toBeVisible();
  await expect.poll(() => naturalWidth(thumbnail)).toBeGreaterThan(0);
});
