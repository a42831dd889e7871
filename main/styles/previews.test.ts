import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import { renderPreview } from '../../scripts/style-previews.ts';
import { loadStyleCatalog } from './catalog.ts';

test('every style has a 256×256 preview image', async () => {
  const { styles } = await loadStyleCatalog();
  for (const style of styles) {
    const { width, height, format } = await sharp(style.previewPath).metadata();
    assert.deepEqual({ width, height, format }, { width: 256, height: 256, format: 'webp' });
  }
});

test('the procedural previews are deterministic: same style, same bytes', async () => {
  // Pixel art takes its own path (grid, palette), so both paths are covered.
  for (const id of ['pop-art', 'pixel-art']) {
    assert.deepEqual(await renderPreview(id), await renderPreview(id), id);
  }
});
