import path from 'node:path';
import sharp from 'sharp';
import {
  canHoldEvents,
  expectAxeClean,
  heardSoFar,
  holdEvents,
  listenTo,
  releaseEvents,
} from '../support/a11y.ts';
import { expect, test } from '../support/fixtures.ts';
import {
  GOOD_PHOTOS,
  addPhotos,
  expectVerdict,
  openModelScreen,
  photo,
  toThePlan,
} from '../support/ui.ts';

// No trace: axe's script, injected for every check, makes each of its snapshots heavy (twice the
// spec's time); a failure names the rule and the elements.
test.use({ avatarSize: 512, trace: 'off' });

/** A run long enough to see its milestones: the first avatar, then every third. */
const TOTAL = 12;

const CUDA_MISSING = 'OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library';

test('axe: the model screen, both themes', async ({ page }) => {
  const host = await openModelScreen(page);
  try {
    await expectAxeClean(page, 'the model screen');
  } finally {
    await host.close();
  }
});

test('axe: every screen of the flow, both themes; a screen reader hears the run', async ({
  app: page,
}) => {
  const notFound: string[] = [];
  page.on('response', (response) => {
    if (response.status() === 404) notFound.push(response.url());
  });
  // The page names its icon, which the host serves (no 404 for /favicon.ico on every load).
  await canHoldEvents(page);
  await page.reload();
  await expect(page.locator('link[rel=icon]')).toHaveAttribute('href', /favicon\.svg$/);
  await expectAxeClean(page, 'photos, empty');

  // A refused group photo, and a portrait one (taller than wide), beside the good ones.
  const tallGroup = await sharp(photo('groups/sample1.jpg'))
    .extend({ top: 400, bottom: 400, background: '#808890' })
    .jpeg()
    .toBuffer();
  await addPhotos(page, [
    ...GOOD_PHOTOS,
    { name: 'group.jpg', mimeType: 'image/jpeg', buffer: tallGroup },
  ]);
  for (const file of GOOD_PHOTOS) await expectVerdict(page, path.basename(file), 'OK');
  await expectVerdict(page, 'group.jpg', 'MULTIPLE_FACES');
  // Every thumbnail is the same square, the portrait photo's too.
  const thumbs = await page.locator('.photo-thumb').evaluateAll((boxes) =>
    boxes.map((box) => {
      const { width, height } = box.getBoundingClientRect();
      return `${Math.round(width)}×${Math.round(height)}`;
    }),
  );
  expect(new Set(thumbs).size, thumbs.join(', ')).toBe(1);
  // The refusal is read as one sentence ("...alone." once, not "alone..").
  const live = page.getByTestId('verdicts-live');
  await expect(live).toContainText('Use photos of you alone.');
  expect(await live.textContent()).not.toContain('..');
  await expectAxeClean(page, 'photos, verdicts');
  await page.getByRole('button', { name: 'Remove group.jpg' }).click();
  await expect(page.getByTestId('undo-notice')).toContainText('Removed group.jpg');
  await expectAxeClean(page, 'photos, an undo');

  await toThePlan(page, { avatars: TOTAL, styles: 2 }, (screen) => expectAxeClean(page, screen));

  // The run: not busy for its whole length; milestones spoken politely, not every step.
  await listenTo(page, 'run-live');
  await page.getByRole('button', { name: `Generate ${TOTAL} avatars` }).click();
  await expect(page.getByTestId('screen-progress')).toBeVisible();
  await expect(page.getByTestId('run-live')).toHaveAttribute('role', 'status');
  await page.locator('[data-testid=avatar-slot][data-state=done]').first().waitFor();
  await holdEvents(page);
  await expect(page.locator('[aria-busy=true]')).toHaveCount(0);
  await expectAxeClean(page, 'generate, the run going');

  // Cancel after the first avatar: it says what it costs, and asks.
  await page.getByRole('button', { name: 'Cancel run' }).click();
  const confirm = page.getByTestId('confirm-cancel');
  await expect(confirm).toContainText("uses today's only run");
  await expectAxeClean(page, 'the cancel confirmation');
  await confirm.getByRole('button', { name: 'Keep generating' }).click();
  await expect(confirm).toHaveCount(0);

  // The run ends in the gallery, and says so; on the way only a few milestones were spoken.
  await releaseEvents(page);
  await expect(page.getByTestId('screen-gallery')).toBeVisible();
  await expect(page.getByTestId('avatar-card')).toHaveCount(TOTAL);
  const heard = await heardSoFar(page);
  expect(heard).toContain(`1 of ${TOTAL} avatars made.`);
  expect(heard.at(-1)).toBe(
    `Finished: ${TOTAL} avatars made. The gallery is open, best likeness first.`,
  );
  // The first avatar, then every third (a fifth of the run, rounded up): never each step.
  const milestone = (text: string) => {
    const made = new RegExp(`^(\\d+) of ${TOTAL} avatars made\\.$`).exec(text)?.[1];
    return made
      ? made === '1' || Number(made) % 3 === 0
      : [`The run is starting.`, `Generating ${TOTAL} avatars.`].includes(text);
  };
  expect(heard.slice(0, -1).filter((text) => !milestone(text))).toEqual([]);
  await expectAxeClean(page, 'gallery');

  await page.getByRole('button', { name: 'Export all' }).click();
  const dialog = page.getByTestId('export-dialog');
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole('button', { name: /close/i })).toHaveCount(1);
  await expectAxeClean(page, 'the export dialog');
  await page.keyboard.press('Escape');

  await page.getByRole('button', { name: 'Delete now' }).click();
  const confirmDelete = page.getByTestId('confirm-delete');
  await expect(confirmDelete).toContainText(/Delete \d+ avatars? now\?/);
  await expectAxeClean(page, 'the delete confirmation');
  await confirmDelete.getByRole('button', { name: 'Keep them' }).click();

  // Avatars wait in the gallery: the photos screen says so.
  await page.getByRole('button', { name: /Photos/ }).click();
  await expect(page.getByTestId('avatars-waiting')).toBeVisible();
  await expectAxeClean(page, 'photos, avatars waiting');

  // Settings → Device in words; onnxruntime's own behind a disclosure (here as on a computer
  // whose CUDA libraries are missing: this one runs on the CPU as asked).
  await page.route('**/api/app:status', async (route) => {
    const response = await route.fetch();
    const body = (await response.json()) as { result: Record<string, unknown> };
    body.result.device = {
      provider: 'cpu',
      fallbacks: [{ provider: 'cuda', reason: CUDA_MISSING }],
    };
    await route.fulfill({ response, json: body });
  });
  await page.reload();
  await page.getByRole('button', { name: 'Settings' }).click();
  await expect(page.getByTestId('settings-device')).toHaveText('CPU');
  await expect(page.getByTestId('device-sentence')).toHaveText(
    'No NVIDIA GPU driver found; using the CPU.',
  );
  const details = page.getByTestId('device-details');
  await expect(details.getByText(CUDA_MISSING, { exact: false })).toBeHidden();
  await details.getByText('Details for a technician').click();
  await expect(details).toContainText(`CUDA: ${CUDA_MISSING}`);
  await expectAxeClean(page, 'settings');
  expect(notFound).toEqual([]);
});
