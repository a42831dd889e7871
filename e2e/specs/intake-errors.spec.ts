import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { expect, test } from '../support/fixtures.ts';
import { addPhotos, dropFile, expectVerdict, photo, screenshot } from '../support/ui.ts';

test('every refused photo says why, and can be replaced or removed', async ({ app: page }) => {
  const tiny = await sharp({
    create: { width: 120, height: 120, channels: 3, background: '#8899aa' },
  })
    .jpeg()
    .toBuffer();
  await addPhotos(page, [
    photo('portraits/sample2-face1.jpg'),
    photo('groups/sample1.jpg'),
    photo('no-face/room-background.jpg'),
    { name: 'tiny.jpg', mimeType: 'image/jpeg', buffer: tiny },
    { name: 'notes.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('not a photo, just text\n') },
    // The same photo again, under another name.
    {
      name: 'copy-of-sample2.jpg',
      mimeType: 'image/jpeg',
      buffer: await readFile(photo('portraits/sample2-face1.jpg')),
    },
  ]);
  await expect(page.getByTestId('photo-counter')).toHaveText('6 of 3–10 photos');

  await expectVerdict(page, 'sample2-face1.jpg', 'OK', /Looks good/);
  await expectVerdict(page, 'sample1.jpg', 'MULTIPLE_FACES', /face/i);
  await expectVerdict(page, 'room-background.jpg', 'NO_FACE', /face/i);
  await expectVerdict(page, 'tiny.jpg', 'TOO_SMALL', /256/);
  await expectVerdict(page, 'notes.jpg', 'NOT_AN_IMAGE', /not an image/i);
  await expectVerdict(
    page,
    'copy-of-sample2.jpg',
    'DUPLICATE',
    /is a copy of "sample2-face1\.jpg"/,
  );
  await expect(page.getByTestId('intake-summary')).toContainText("5 of 6 photos can't be used");
  await expect(page.getByRole('button', { name: 'Choose styles' })).toBeDisabled();
  // Screen readers hear the verdicts too.
  await expect(page.getByTestId('verdicts-live')).toContainText('1 of 6 photos accepted');
  await screenshot(page, '08-photos-refused');

  // Replace the group photo with a good one; remove the rest of the refused ones.
  await page
    .getByTestId('photo-card')
    .filter({ hasText: 'sample1.jpg' })
    .getByTestId('replace-input')
    .setInputFiles(photo('portraits/sample3-face1.jpg'));
  await expectVerdict(page, 'sample3-face1.jpg', 'OK');
  for (const name of ['room-background.jpg', 'tiny.jpg', 'notes.jpg', 'copy-of-sample2.jpg']) {
    await page.getByRole('button', { name: `Remove ${name}` }).click();
  }
  await expect(page.getByTestId('photo-counter')).toHaveText('2 of 3–10 photos');
  await expect(page.getByRole('button', { name: 'Choose styles' })).toBeDisabled();
  await expect(page.getByText('Add 1 more photo to continue.')).toBeVisible();

  // A third good photo, dropped onto the drop zone this time.
  await dropFile(page, 'sample4-face1.jpg', await readFile(photo('portraits/sample4-face1.jpg')));
  await expectVerdict(page, 'sample4-face1.jpg', 'OK');
  await expect(page.getByTestId('photo-counter')).toHaveText('3 of 3–10 photos');
  await expect(page.getByRole('button', { name: 'Choose styles' })).toBeEnabled();
});

test('more than ten photos: the extra ones are not added, with a message', async ({
  app: page,
}) => {
  const portraits = Array.from({ length: 11 }, (_, i) => {
    const person = Math.floor(i / 3) + 1;
    return photo(`${i % 2 ? 'close' : 'portraits'}/sample${person}-face${(i % 3) + 1}.jpg`);
  });
  await addPhotos(page, portraits);
  await expect(page.getByTestId('photo-counter')).toHaveText('10 of 3–10 photos');
  await expect(page.getByText('You can use at most 10 photos: 1 was not added.')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Choose photos…' })).toBeDisabled();
});
