/**
 * LoRA styles in the style picker: a style running with an installed LoRA shows its preview and
 * a LoRA badge; one whose LoRA is missing is disabled, saying why; the cards are one Tab stop,
 * moved between by the arrow keys, with a focus ring of their own. A LoRA removed after its style
 * was chosen: the run is refused with the job's message, and the card turns disabled.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Locator, Page } from '@playwright/test';
import { importLora, removeLora } from '../../main/models/loras.ts';
import { REFERENCE_LORA } from '../../main/testing/models/loras.ts';
import { writeStylesFile } from '../../main/testing/styles.ts';
import { expect, test } from '../support/fixtures.ts';
import { startTestHost, type TestHost } from '../support/host.ts';
import { addGoodPhotos, naturalWidth, screenshot } from '../support/ui.ts';

/** The shipped catalogue's first six styles, the first two given LoRAs. */
const CHANGES = [
  { name: 'Clay LoRA', lora: { id: 'tiny-clay', scale: 0.8 }, triggerWords: ['clayfig'] },
  { name: 'Missing LoRA', lora: { id: 'clay-figure' } },
  {},
  {},
  {},
  {},
];

let stylesDir: string;
test.beforeAll(async () => {
  stylesDir = await mkdtemp(path.join(tmpdir(), 'avatar-e2e-styles-'));
});
test.afterAll(() => rm(stylesDir, { recursive: true, force: true }));

/**
 * A host on those styles with the reference LoRA installed as 'tiny-clay', the page on its styles
 * screen for `use`; the host closed after.
 */
async function onStyles(page: Page, use: (host: TestHost) => Promise<void>): Promise<void> {
  const host = await startTestHost({}, { styles: await writeStylesFile(stylesDir, CHANGES) });
  try {
    await importLora({ dataDir: host.dataDir, source: REFERENCE_LORA.sd2, id: 'tiny-clay' });
    await page.goto(host.url);
    await expect(page.getByTestId('app-loading')).toHaveCount(0);
    await addGoodPhotos(page);
    await page.getByRole('button', { name: 'Choose styles' }).click();
    await expect(page.getByTestId('style-card')).toHaveCount(CHANGES.length);
    await use(host);
  } finally {
    await host.close();
  }
}

/** What draws a focus indicator on the element: its outline and its box-shadow. */
function ring(card: Locator): Promise<string> {
  return card.evaluate((element) => {
    const view = globalThis as unknown as {
      getComputedStyle(e: unknown): Record<string, string>;
    };
    const style = view.getComputedStyle(element);
    return `${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor} | ${style.boxShadow}`;
  });
}

/** The card's LoRA badge as it is seen: "LoRA", the LoRA's name, its scale. */
async function expectBadge(card: Locator, name: string, scale: string) {
  const badge = card.getByTestId('style-lora');
  await expect(badge).toBeVisible();
  await expect(badge.locator('.style-lora-tag')).toHaveText('LoRA');
  await expect(badge.locator('.style-lora-name')).toHaveText(name);
  await expect(badge.locator('.style-lora-scale')).toHaveText(scale);
}

function isFocused(card: Locator): Promise<boolean> {
  return card.evaluate(
    (element) =>
      (globalThis as unknown as { document: { activeElement: unknown } }).document.activeElement ===
      element,
  );
}

test('a LoRA style shows its preview and badge; a missing LoRA’s style is disabled, saying why', async ({
  page,
}) => {
  await onStyles(page, async () => {
    const lora = page.getByRole('button', { name: 'Clay LoRA', exact: true });
    // Named by the style's name alone; the description, the LoRA and any reason describe it.
    await expect(lora).toHaveAccessibleName('Clay LoRA');
    await expect(lora).toHaveAccessibleDescription(/ LoRA tiny-clay, scale 0\.8$/);
    await expectBadge(lora, 'tiny-clay', '×0.8');
    await expect.poll(() => naturalWidth(lora.locator('img'))).toBeGreaterThan(0);
    await expect(lora).not.toHaveAttribute('aria-disabled');

    const missing = page.getByRole('button', { name: 'Missing LoRA', exact: true });
    const reason =
      "Needs the LoRA 'clay-figure', which is not installed. To install it, run: npm run models -- import FILE.safetensors --id clay-figure";
    await expect(missing).toHaveAttribute('aria-disabled', 'true');
    await expect(missing.getByTestId('style-reason')).toHaveText(reason);
    await expect(missing).toHaveAccessibleDescription(new RegExp(`${escape(reason)}$`));
    await expectBadge(missing, 'clay-figure', '×1');
    // Neither the mouse nor the keyboard chooses it.
    // (force: Playwright waits for an aria-disabled element to be enabled before it clicks.)
    await missing.click({ force: true });
    await missing.press('Enter');
    await missing.press('Space');
    await expect(missing).toHaveAttribute('aria-pressed', 'false');
    await expect(page.getByTestId('style-counter')).toHaveText('0 of up to 5 chosen');

    await lora.click();
    await expect(lora).toHaveAttribute('aria-pressed', 'true');
    await expect(page.getByTestId('style-counter')).toHaveText('1 of up to 5 chosen');
    await screenshot(page, '18-styles-lora');
  });
});

test('the style cards: one Tab stop, arrow keys between them, a visible focus ring', async ({
  page,
}) => {
  await onStyles(page, async () => {
    const cards = page.getByTestId('style-card');
    // Tab from the heading reaches the first card, and only it of the set.
    await page.getByTestId('screen-styles').locator('h1').click();
    await page.mouse.move(0, 0);
    for (let i = 0; i < 20 && !(await isFocused(cards.first())); i++) {
      await page.keyboard.press('Tab');
      expect(await isFocused(cards.nth(1)), 'Tab stops at one card only').toBe(false);
    }
    await expect(cards.first()).toBeFocused();
    await expect(cards.first()).toHaveAttribute('tabindex', '0');
    await expect(cards.nth(1)).toHaveAttribute('tabindex', '-1');

    // The focused card's ring differs from an unfocused card's, and is there.
    const focusedRing = await ring(cards.first());
    expect(focusedRing).toMatch(/^solid 3px /);
    expect(focusedRing).not.toEqual(await ring(cards.nth(2)));

    await page.keyboard.press('ArrowRight');
    await screenshot(page, '19-styles-keyboard');
    // The disabled card takes focus too (its reason is read), and moves on.
    await expect(cards.nth(1)).toBeFocused();
    expect(await ring(cards.nth(1))).toMatch(/^solid 3px /);
    await page.keyboard.press('ArrowRight');
    await expect(cards.nth(2)).toBeFocused();
    await page.keyboard.press('Space');
    await expect(cards.nth(2)).toHaveAttribute('aria-pressed', 'true');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('Enter');
    await expect(cards.nth(1)).toHaveAttribute('aria-pressed', 'false');
    await page.keyboard.press('End');
    await expect(cards.last()).toBeFocused();
    await page.keyboard.press('Home');
    await expect(cards.first()).toBeFocused();

    // Down goes one row down, as the grid lays them out.
    const tops = await Promise.all(
      (await cards.all()).map(async (c) => (await c.boundingBox())!.y),
    );
    const perRow = tops.filter((y) => y === tops[0]).length;
    await page.keyboard.press('ArrowDown');
    await expect(cards.nth(perRow < tops.length ? perRow : 0)).toBeFocused();
    await page.keyboard.press('ArrowUp');
    await expect(cards.first()).toBeFocused();

    // Tab leaves the set; Shift+Tab comes back to the card last focused.
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Tab');
    await expect(cards.nth(1)).not.toBeFocused();
    expect(
      await Promise.all((await cards.all()).map((card) => isFocused(card))),
      'focus has left the cards',
    ).not.toContain(true);
    await page.keyboard.press('Shift+Tab');
    await expect(cards.nth(1)).toBeFocused();
  });
});

test('a LoRA removed after its style was chosen: the run is refused, naming it; the card turns disabled', async ({
  page,
}) => {
  await onStyles(page, async (host) => {
    await page.getByRole('button', { name: 'Clay LoRA', exact: true }).click();
    await removeLora(host.dataDir, 'tiny-clay');
    await page.getByRole('button', { name: 'Review and generate' }).click();
    await page.getByLabel('Number of avatars', { exact: true }).fill('1');
    await page.getByRole('button', { name: /^Generate \d+ avatars?$/ }).click();
    const refused = page.getByTestId('start-error');
    await expect(refused).toContainText('The run could not start');
    await expect(refused).toContainText(
      `style "Clay LoRA" cannot run: LoRA 'tiny-clay' is not installed`,
    );
    await expect(page.getByTestId('screen-progress')).toHaveCount(0);

    // Back on the styles, the card says why and is no longer chosen.
    await page
      .getByTestId('screen-generate')
      .getByRole('button', { name: 'Styles', exact: true })
      .click();
    const card = page.getByRole('button', { name: 'Clay LoRA', exact: true });
    await expect(card).toHaveAttribute('aria-disabled', 'true');
    await expect(card).toHaveAttribute('aria-pressed', 'false');
    await expect(card.getByTestId('style-reason')).toContainText(
      "Needs the LoRA 'tiny-clay', which is not installed.",
    );
    await expect(page.getByTestId('style-notice')).toContainText('Clay LoRA');
    await expect(page.getByTestId('style-counter')).toHaveText('0 of up to 5 chosen');
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
