/**
 * "Add a model file or folder" in the loopback host's page, which has no native dialog: the
 * browser's own picker, then the picked files declared to the host (models:add { upload }) and
 * streamed to it one by one (upload-route.ts). The browser reads each File from disk as it sends
 * it, so a 7 GB checkpoint is never in the page's memory. The host reports the upload's progress,
 * and the import's after it, as for any model job.
 */
import {
  ApiError,
  MODEL_UPLOAD_EXTENSIONS,
  type ModelPick,
  type ModelUpload,
} from '../api/contract.ts';
import { isModelUploadPath } from '../api/door-limits.ts';
import { uploadPath } from '../api/upload-route.ts';

/**
 * The little of the DOM used here, declared for this file alone: main/ compiles against Node's
 * types (the shim is bundled for the browser), and the DOM's would clash with them.
 */
export type PickedFile = Blob & { readonly name: string; readonly webkitRelativePath: string };
interface FileInput {
  type: string;
  accept: string;
  webkitdirectory: boolean;
  hidden: boolean;
  readonly files: ArrayLike<PickedFile> | null;
  addEventListener(type: 'change' | 'cancel', listener: () => void): void;
  click(): void;
  remove(): void;
}
declare const document: {
  createElement(tag: 'input'): FileInput;
  body: { append(node: FileInput): void };
};

/** What was picked: its declaration for the host, and each declared path's file. */
export interface PickedModel {
  upload: ModelUpload;
  files: Map<string, PickedFile>;
}

/** The browser's picker: a .safetensors file, or a folder; null when the user closed it. */
export function pickFiles(pick: ModelPick): Promise<PickedFile[] | null> {
  return new Promise((resolve) => {
    const input = document.createElement('input');
    input.type = 'file';
    if (pick === 'folder') input.webkitdirectory = true;
    else input.accept = '.safetensors';
    input.hidden = true;
    const done = (files: PickedFile[] | null) => {
      input.remove();
      resolve(files);
    };
    input.addEventListener('change', () => done(Array.from(input.files ?? [])));
    input.addEventListener('cancel', () => done(null));
    document.body.append(input);
    input.click();
  });
}

/**
 * The picked files as the host will take them: a checkpoint as itself; a folder as the
 * diffusers files in it (MODEL_UPLOAD_EXTENSIONS, by their path inside the folder; hidden
 * folders and anything else left behind). ApiError BAD_REQUEST when nothing fits.
 */
export function describePicked(pick: ModelPick, picked: readonly PickedFile[]): PickedModel {
  if (pick === 'file') {
    const [file] = picked;
    if (!file || picked.length !== 1 || !file.name.toLowerCase().endsWith('.safetensors')) {
      throw new ApiError(
        'BAD_REQUEST',
        `${file?.name ?? 'Nothing'} is not a .safetensors checkpoint: pick one .safetensors file, or a model folder.`,
      );
    }
    const path = 'checkpoint.safetensors';
    return {
      upload: { name: file.name, kind: 'checkpoint', files: [{ path, bytes: file.size }] },
      files: new Map([[path, file]]),
    };
  }
  // webkitRelativePath is "<picked folder>/unet/config.json": the folder names the model.
  const name = picked[0]?.webkitRelativePath.split('/')[0] ?? '';
  const files = new Map<string, PickedFile>();
  for (const file of picked) {
    const relative = file.webkitRelativePath.split('/').slice(1).join('/');
    if (isModelUploadPath(relative)) files.set(relative, file);
  }
  if (files.size === 0) {
    throw new ApiError(
      'BAD_REQUEST',
      `${name || 'The folder'} holds no model files (${MODEL_UPLOAD_EXTENSIONS.join(', ')}): pick a diffusers folder, or a .safetensors file.`,
    );
  }
  return {
    upload: {
      name,
      kind: 'folder',
      files: [...files].map(([path, file]) => ({ path, bytes: file.size })),
    },
    files,
  };
}

/**
 * Sends each file in turn. A refusal or a cancel ends the job on the host, which says why in its
 * 'model:finished'; so here a failed send only stops the rest.
 */
export async function sendFiles(
  jobId: string,
  files: ReadonlyMap<string, PickedFile>,
): Promise<void> {
  for (const [relative, file] of files) {
    const response = await fetch(uploadPath(jobId, relative), {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream' },
      body: file,
    }).catch(() => null);
    if (!response?.ok) return;
  }
}
