import type { ExportRequest, ExportResult } from '../../../../../main/api/contract.ts';
import { toApiError } from '../../../api.ts';
import type { Context, Outcome } from './context.ts';

/** Long enough for the browser to have read the file it saves. */
const REVOKE_AFTER_MS = 30_000;

function toBlob(result: ExportResult): Blob {
  return new Blob([new Uint8Array(result.bytes)], { type: result.mimeType });
}

/** Saves through the browser's download: the user picks where, the app never sees a path. */
function download(result: ExportResult): void {
  const url = URL.createObjectURL(toBlob(result));
  const link = document.createElement('a');
  link.href = url;
  link.download = result.fileName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), REVOKE_AFTER_MS);
}

/** One image, or a zip of several, saved as a file. */
export async function exportToFile({ api }: Context, request: ExportRequest): Promise<Outcome> {
  try {
    const result = await api.exportAvatars(request);
    download(result);
    return { tone: 'success', message: `Saved ${result.fileName}.` };
  } catch (error) {
    return { tone: 'error', message: toApiError(error).message };
  }
}

/** One image on the clipboard, as PNG: the clipboard takes PNG everywhere; other formats are for files. */
export async function copyToClipboard({ api }: Context, request: ExportRequest): Promise<Outcome> {
  try {
    if (!navigator.clipboard || typeof ClipboardItem === 'undefined') {
      throw new Error(
        'This system does not let apps put images on the clipboard; export the file instead.',
      );
    }
    const result = await api.exportAvatars({ ...request, format: 'png' });
    await navigator.clipboard.write([new ClipboardItem({ 'image/png': toBlob(result) })]);
    return { tone: 'success', message: 'Copied to the clipboard as PNG.' };
  } catch (error) {
    return { tone: 'error', message: `Could not copy: ${toApiError(error).message}` };
  }
}
