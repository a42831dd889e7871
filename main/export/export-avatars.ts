/**
 * Export: the avatars the user picked, as files to save wherever they like (outside our control
 * from then on, so nothing identifying goes with them). One avatar is that image file; several
 * are one zip of them.
 */
import type { ExportRequest, ExportResult } from '../api/contract.ts';
import { zipSync } from 'fflate';
import { renderAvatar, type RenderOptions } from './render.ts';

export interface ExportImage {
  /** The avatar as stored (PNG), decrypted in memory. */
  bytes: Buffer;
  styleId: string;
}

const FORMATS: Record<ExportRequest['format'], { extension: string; mimeType: string }> = {
  png: { extension: 'png', mimeType: 'image/png' },
  jpeg: { extension: 'jpg', mimeType: 'image/jpeg' },
  webp: { extension: 'webp', mimeType: 'image/webp' },
};

export async function exportAvatars(
  images: readonly ExportImage[],
  options: RenderOptions,
): Promise<ExportResult> {
  if (images.length === 0) throw new RangeError('exportAvatars needs at least one image');
  const { extension, mimeType } = FORMATS[options.format];
  // One at a time: a 1024 px render holds a few MB; thirty at once would hold them all.
  const files: { name: string; bytes: Buffer }[] = [];
  for (const [i, image] of images.entries()) {
    files.push({
      // Numbered in the order asked for, so two avatars of one style never share a name.
      name: `avatar-${image.styleId}-${i + 1}-${options.size}.${extension}`,
      bytes: await renderAvatar(image.bytes, options),
    });
  }
  if (files.length === 1) {
    const file = files[0]!;
    return { fileName: file.name, mimeType, bytes: file.bytes };
  }
  return {
    fileName: `avatars-${options.size}-${options.format}.zip`,
    mimeType: 'application/zip',
    // Stored, not deflated: PNG, JPEG and WebP are compressed already (a percent for the time).
    bytes: Buffer.from(
      zipSync(Object.fromEntries(files.map((f) => [f.name, f.bytes])), { level: 0 }),
    ),
  };
}
