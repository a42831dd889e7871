/** What the specs do through the UI, the way a user does it. */
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, type Locator, type Page } from '@playwright/test';
import { startTestHost, type TestHost, type TestHostOptions } from './host.ts';

const E2E_DIR = fileURLToPath(new URL('..', import.meta.url));
export const SCREENSHOT_DIR = path.join(E2E_DIR, 'screenshots');

/** A real test photo (e2e/photos/<folder>/<name>). */
export function photo(relative: string): string {
  return path.join(E2E_DIR, 'photos', relative);
}

/** Three different people's portraits: a run accepts them (the "different people" check only warns). */
export const GOOD_PHOTOS = [
  'portraits/sample1-face1.jpg',
  'portraits/sample1-face2.jpg',
  'portraits/sample1-face3.jpg',
].map(photo);

type FileSpec = string | { name: string; mimeType: string; buffer: Buffer };

/** Adds photos with the file picker: paths of real photos, or made-up files. */
export async function addPhotos(page: Page, files: FileSpec[]) {
  const payloads = await Promise.all(
    files.map(async (file) =>
      typeof file === 'string'
        ? { name: path.basename(file), mimeType: 'image/jpeg', buffer: await readFile(file) }
        : file,
    ),
  );
  await page.getByTestId('photo-input').setInputFiles(payloads);
}

export async function expectVerdict(page: Page, name: string, code: string, text?: RegExp) {
  const card = page
    .getByTestId('photo-card')
    .filter({ has: page.getByText(name, { exact: true }) });
  const verdict = card.getByTestId('photo-verdict');
  await expect(verdict).toHaveAttribute('data-code', code);
  if (text) await expect(verdict).toHaveText(text);
}

/** Photos in, all accepted, on to the styles. */
export async function addGoodPhotos(page: Page) {
  await addPhotos(page, GOOD_PHOTOS);
  await expect(page.getByTestId('photo-counter')).toHaveText('3 of 3–10 photos');
  for (const file of GOOD_PHOTOS) await expectVerdict(page, path.basename(file), 'OK');
}

export async function chooseStyles(page: Page, count: number) {
  const cards = page.getByTestId('style-card');
  await expect(cards.first()).toBeVisible();
  for (let i = 0; i < count; i++) await cards.nth(i).click();
}

type Plan = { avatars: number; styles: number };

/**
 * From accepted photos to the plan of `avatars` avatars in `styles` styles; `look` at the styles
 * screen and at the plan on the way.
 */
export async function toThePlan(
  page: Page,
  { avatars, styles }: Plan,
  look: (screen: 'styles' | 'generate') => Promise<void> = async () => undefined,
) {
  await page.getByRole('button', { name: 'Choose styles' }).click();
  await chooseStyles(page, styles);
  await look('styles');
  await page.getByRole('button', { name: 'Review and generate' }).click();
  await page.getByLabel('Number of avatars', { exact: true }).fill(String(avatars));
  await look('generate');
}

/** From an empty studio to a started run of `avatars` avatars in `styles` styles. */
export async function startRun(page: Page, plan: Plan) {
  await addGoodPhotos(page);
  await toThePlan(page, plan);
  await page.getByRole('button', { name: /^Generate \d+ avatars?$/ }).click();
  // Two avatars of the tiny fixture can be made before the progress screen is ever polled:
  // a started run shows its progress or, already, its gallery.
  await expect(
    page.getByTestId('screen-progress').or(page.getByTestId('screen-gallery')),
  ).toBeVisible();
}

/** Cancels the run going: once an avatar is made, through the dialog that asks first. */
export async function cancelRun(page: Page) {
  await page.getByRole('button', { name: 'Cancel run' }).click();
  await page.getByTestId('confirm-cancel').getByRole('button', { name: 'Cancel the run' }).click();
}

/** "Delete now" on the gallery's run, confirmed. */
export async function deleteNow(page: Page) {
  await page.getByRole('button', { name: 'Delete now' }).click();
  await page
    .getByTestId('confirm-delete')
    .getByRole('button', { name: /^Delete \d+ avatars?$/ })
    .click();
}

/** Saves the page as e2e/screenshots/<name>.png, in light and in dark. */
export async function screenshot(page: Page, name: string, options: { dark?: boolean } = {}) {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  await page.emulateMedia({ colorScheme: 'light' });
  await page.mouse.move(0, 0); // no hover state in the picture
  await page.waitForTimeout(400);
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
  if (options.dark ?? true) {
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.waitForTimeout(400); // colour transitions settle
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}-dark.png`), fullPage: true });
    await page.emulateMedia({ colorScheme: 'light' });
  }
}

/** An <img>'s decoded width: 0 while it is loading or when it failed. */
export function naturalWidth(img: Locator): Promise<number> {
  return img.evaluate((element) => (element as unknown as { naturalWidth: number }).naturalWidth);
}

/** Drops a file on the drop zone, as a drag from the file manager does. */
export async function dropFile(page: Page, name: string, bytes: Buffer) {
  // A string, not a function: these specs compile without the DOM's types.
  const dataTransfer = await page.evaluateHandle(`(() => {
    const bytes = Uint8Array.from(atob(${JSON.stringify(bytes.toString('base64'))}), (c) => c.charCodeAt(0));
    const transfer = new DataTransfer();
    transfer.items.add(new File([bytes], ${JSON.stringify(name)}, { type: 'image/jpeg' }));
    return transfer;
  })()`);
  await page.getByTestId('dropzone').dispatchEvent('drop', { dataTransfer });
}

/** A host with no model installed (its own catalogue, if given) and the page on its model screen. */
export async function openModelScreen(
  page: Page,
  options: Omit<TestHostOptions, 'withModel'> = {},
): Promise<TestHost> {
  const host = await startTestHost({}, { ...options, withModel: false });
  await page.goto(host.url);
  await expect(page.getByRole('heading', { name: 'One more step: a model' })).toBeVisible();
  return host;
}
