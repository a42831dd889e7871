/**
 * Getting a model in the app, starting with none: a checkpoint added through the file picker
 * (uploaded to the host, built there), and a catalogue install from a server on 127.0.0.1 with
 * its licence first, a cancel that leaves nothing, then the install.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';
import { serveFolder, writeCatalogFor } from '../../main/testing/model-server.ts';
import { fixtureModel } from '../../scripts/fixtures/cache.ts';
import { expect, test } from '../support/fixtures.ts';
import type { TestHost } from '../support/host.ts';
import { openModelScreen, screenshot } from '../support/ui.ts';

const CHECKPOINT = fileURLToPath(
  new URL(
    '../../scripts/fixtures/diffusers-reference/sd1-tiny/checkpoint.safetensors',
    import.meta.url,
  ),
);

/** Picks `file` in the browser's own picker, opened by the button named `button`. */
async function pick(page: Page, button: string, file: { name: string; buffer: Buffer }) {
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: button }).click();
  await (await chooser).setFiles({ ...file, mimeType: 'application/octet-stream' });
}

/** The model files the data folder holds (installed models, staging, downloads). */
async function modelFiles(host: TestHost): Promise<string[]> {
  return (await host.files()).filter((file) => file.startsWith('models'));
}

test('no model: a checkpoint added with the file picker is built and becomes the model', async ({
  page,
}) => {
  const host = await openModelScreen(page);
  try {
    const checkpoint = await readFile(CHECKPOINT);

    // A broken file: refused next to the control, naming it and why, and nothing kept.
    await pick(page, 'Add a .safetensors file…', {
      name: 'broken.safetensors',
      buffer: checkpoint.subarray(0, 4096),
    });
    const outcome = page.getByTestId('model-outcome');
    await expect(outcome).toContainText('broken.safetensors: its header claims');
    await expect(outcome).toHaveAttribute('role', 'alert');
    expect(await modelFiles(host)).toEqual([]);

    await pick(page, 'Add a .safetensors file…', {
      name: 'tiny-sd15.safetensors',
      buffer: checkpoint,
    });
    const job = page.getByTestId('model-job');
    await expect(job).toBeVisible();
    await expect(page.getByTestId('model-job-percent')).toHaveText(/^\d{1,3}%$/);
    await expect(page.getByRole('progressbar', { name: 'Installing the model' })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Add a model folder…' })).toBeDisabled();

    // Built and installed: the first model is the default, and the studio opens.
    await expect(page.getByTestId('screen-photos')).toBeVisible();
    await page.getByRole('button', { name: 'Settings' }).click();
    const installed = page.getByRole('radio', { name: /tiny-sd15/ });
    await expect(installed).toBeChecked();
    await expect(page.getByTestId('model-in-use')).toHaveCount(0);
    expect(
      (await modelFiles(host)).every((file) => file.startsWith(path.join('models', 'tiny-sd15'))),
    ).toBe(true);
  } finally {
    await host.close();
  }
});

test('the catalogue: licence first, a cancel keeps nothing, then the install', async ({ page }) => {
  const model = await fixtureModel('turbo');
  const server = await serveFolder(model, { slowBytesPerTick: 2048 });
  const catalogDir = await mkdtemp(path.join(tmpdir(), 'avatar-e2e-catalog-'));
  const catalog = path.join(catalogDir, 'catalog.json');
  await writeCatalogFor(catalog, 'fixture-turbo', model, server.baseUrl);
  const host = await openModelScreen(page, { catalog });
  try {
    const card = page.getByTestId('catalog-model').filter({ hasText: 'Fixture fixture-turbo' });
    await expect(card).toContainText(/MB download/);
    await card.getByRole('button', { name: 'Install…' }).click();
    // The licence is read before anything is fetched; the explicit Install comes after it.
    await expect(
      card.getByRole('heading', { name: 'Licence of Fixture fixture-turbo' }),
    ).toBeFocused();
    await expect(card.getByTestId('catalog-licence')).toHaveText('MIT');
    expect(server.requests).toEqual([]);
    await screenshot(page, '16-model-licence', { dark: false });

    await card.getByRole('button', { name: 'Install Fixture fixture-turbo' }).click();
    await expect(card.getByTestId('model-job-label')).toHaveText(
      'Downloading Fixture fixture-turbo',
    );
    await expect(card.getByTestId('model-job-eta')).toBeVisible();
    await screenshot(page, '17-model-downloading', { dark: false });
    await card.getByRole('button', { name: 'Cancel' }).click();
    await expect(card.getByTestId('model-outcome')).toContainText('Cancelled: nothing of');
    expect(await modelFiles(host)).toEqual([]);

    // Full speed now: the install runs to its end and the studio opens.
    delete server.faults.slowBytesPerTick;
    await card.getByRole('button', { name: 'Install…' }).click();
    await card.getByRole('button', { name: 'Install Fixture fixture-turbo' }).press('Enter');
    await expect(page.getByTestId('screen-photos')).toBeVisible();
    const status = await host.call<{ model: { id: string } | null }>('app:status');
    expect(status.model?.id).toBe('fixture-turbo');
  } finally {
    await host.close();
    await server.close();
    await rm(catalogDir, { recursive: true, force: true });
  }
});
