import path from 'node:path';
import type { FileChooser } from '@playwright/test';
import { canHoldEvents, holdEvents, lookAtFocus, releaseEvents, tabTo } from '../support/a11y.ts';
import { expect, test } from '../support/fixtures.ts';
import { GOOD_PHOTOS, expectVerdict } from '../support/ui.ts';

test.use({ trace: 'off' });

test('the whole flow by keyboard alone: a ring on every stop, the focus placed after each step and dialog', async ({
  app: page,
}) => {
  await canHoldEvents(page);
  await page.reload();
  const heading = (name: string) => page.getByRole('heading', { name, exact: true });
  const button = (name: string | RegExp) => page.getByRole('button', { name, exact: true });

  // Photos: the picker opens from the keyboard. Listened for well before Enter, so the browser
  // hands the picker to the test rather than opening it.
  const chooser = new Promise<FileChooser>((resolve) => page.once('filechooser', resolve));
  await tabTo(page, button('Choose photos…'));
  await page.keyboard.press('Enter');
  await (await chooser).setFiles(GOOD_PHOTOS);
  for (const file of GOOD_PHOTOS) await expectVerdict(page, path.basename(file), 'OK');

  // Removing a photo offers Undo, focused; Undo puts it back and the focus on it.
  const third = path.basename(GOOD_PHOTOS[2]!);
  await tabTo(page, button(`Remove ${third}`));
  await page.keyboard.press('Enter');
  const undo = button(`Undo removing ${third}`);
  await expect(undo).toBeFocused();
  expect((await lookAtFocus(page)).ringVisible).toBe(true);
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('undo-notice')).toHaveCount(0);
  await expect(button(`Remove ${third}`)).toBeFocused();
  await expectVerdict(page, third, 'OK');

  // Each step's button moves the focus to the next step's heading.
  await tabTo(page, button(/^Choose styles/));
  await page.keyboard.press('Enter');
  await expect(heading('Pick your styles')).toBeFocused();
  await tabTo(page, page.getByTestId('style-card').first());
  await page.keyboard.press('Space');
  await expect(page.getByTestId('style-counter')).toHaveText('1 of up to 5 chosen');
  await tabTo(page, button(/^Review and generate/));
  await page.keyboard.press('Enter');
  await expect(heading('Ready to generate')).toBeFocused();

  await tabTo(page, page.getByLabel('Number of avatars', { exact: true }));
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type('3');
  await tabTo(page, button('Generate 3 avatars'));
  // The screen stays on the run while it is looked at; the host makes the avatars meanwhile.
  await holdEvents(page);
  await page.keyboard.press('Enter');
  await expect(heading('Generating your avatars')).toBeFocused();
  await tabTo(page, button('Cancel run'));
  await releaseEvents(page);

  // The gallery arrives: its heading has the focus, and a screen reader hears that it opened.
  await expect(heading('Your avatars')).toBeFocused();
  await expect(page.getByTestId('run-live')).toHaveText(
    'Finished: 3 avatars made. The gallery is open, best likeness first.',
  );

  // The export dialog: the focus inside it, then back on the button that opened it.
  const exportAll = button('Export all');
  await tabTo(page, exportAll);
  await page.keyboard.press('Enter');
  const dialog = page.getByTestId('export-dialog');
  await expect(dialog).toBeVisible();
  expect(
    await dialog.evaluate((element) => element.contains(element.ownerDocument.activeElement)),
  ).toBe(true);
  await tabTo(page, dialog.getByRole('button', { name: 'Export zip' }));
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  await expect(exportAll).toBeFocused();

  const exportOne = page.getByRole('button', { name: /^Export .* avatar from / }).first();
  await tabTo(page, exportOne);
  await page.keyboard.press('Enter');
  await tabTo(page, dialog.getByRole('button', { name: 'Close' }));
  await page.keyboard.press('Enter');
  await expect(dialog).toHaveCount(0);
  await expect(exportOne).toBeFocused();

  // Delete now asks first, the safe answer focused; Escape keeps them.
  const deleteNow = button('Delete now');
  await tabTo(page, deleteNow);
  await page.keyboard.press('Enter');
  const confirm = page.getByTestId('confirm-delete');
  await expect(confirm).toContainText('Delete 3 avatars now?');
  await expect(confirm.getByRole('button', { name: 'Keep them' })).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(confirm).toHaveCount(0);
  await expect(deleteNow).toBeFocused();
  await expect(page.getByTestId('avatar-card')).toHaveCount(3);

  await page.keyboard.press('Enter');
  await tabTo(page, confirm.getByRole('button', { name: 'Delete 3 avatars' }));
  await page.keyboard.press('Enter');
  await expect(heading('Your avatars were deleted')).toBeFocused();

  // Settings and back: the focus follows to each heading.
  await tabTo(page, button('Settings'));
  await page.keyboard.press('Enter');
  await expect(heading('Settings')).toBeFocused();
  await tabTo(page, button('Back to the studio'));
  await page.keyboard.press('Enter');
  await expect(heading('Your avatars')).toBeFocused();
});
