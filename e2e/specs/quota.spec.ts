import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { AvatarStudioApi } from '../../main/api/contract.ts';
import { expect, test } from '../support/fixtures.ts';
import { GOOD_PHOTOS, screenshot, startRun } from '../support/ui.ts';

test('one run a day: the second is refused, with when the next is allowed', async ({
  app: page,
}) => {
  await startRun(page, { avatars: 2, styles: 1 });
  await expect(page.getByTestId('avatar-card')).toHaveCount(2);

  // Back to the plan: the rule now says the day's run is used and when the next one is allowed.
  await page.getByRole('button', { name: /Generate/ }).click();
  await expect(page.getByTestId('quota-pill')).toHaveText('used today');
  await expect(page.getByTestId('quota-rule')).toContainText(
    /You've used today's run\. The next run is allowed at 00:00 tomorrow\./,
  );
  await expect(page.getByRole('button', { name: /^Generate \d+ avatars?$/ })).toBeDisabled();
  await expect(page.getByTestId('start-blocker')).toHaveText("Today's run is used.");
  await screenshot(page, '12-quota-used');

  // The host refuses too, whatever the page does: QUOTA_EXCEEDED with the next allowed time.
  const photos = await Promise.all(
    GOOD_PHOTOS.map(async (file) => ({
      name: path.basename(file),
      bytes: [...(await readFile(file))],
    })),
  );
  const refusal = await page.evaluate(async (photos) => {
    const api = (globalThis as unknown as { avatarStudio: AvatarStudioApi }).avatarStudio;
    try {
      await api.startRun({
        photos: photos.map(({ name, bytes }) => ({ name, bytes: Uint8Array.from(bytes) })),
        styleIds: ['anime'],
        count: 1,
      });
      return null;
    } catch (error) {
      const { code, nextAllowedAt } = error as { code: string; nextAllowedAt?: number };
      return { code, nextAllowedAt };
    }
  }, photos);
  expect(refusal?.code).toBe('QUOTA_EXCEEDED');
  const midnight = new Date();
  midnight.setHours(24, 0, 0, 0);
  expect(refusal?.nextAllowedAt).toBe(midnight.getTime());
});
