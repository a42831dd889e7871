import { BrowserWindow, dialog, type OpenDialogOptions } from 'electron';
import type { ModelPick } from '../api/contract.ts';

const OPTIONS: Readonly<Record<ModelPick, OpenDialogOptions>> = {
  file: {
    title: 'Add a model file',
    buttonLabel: 'Add',
    properties: ['openFile'],
    filters: [{ name: 'Safetensors checkpoint', extensions: ['safetensors'] }],
  },
  folder: {
    title: 'Add a model folder (diffusers or ONNX)',
    buttonLabel: 'Add',
    properties: ['openDirectory'],
  },
};

/**
 * "Add a model file or folder" in Electron: the native open dialog, in the main process, so the
 * picked path goes straight to the import (models:add { pick }) and never reaches the page.
 */
export async function pickModel(pick: ModelPick): Promise<string | null> {
  const window = BrowserWindow.getFocusedWindow();
  const options = OPTIONS[pick];
  const { canceled, filePaths } = window
    ? await dialog.showOpenDialog(window, options)
    : await dialog.showOpenDialog(options);
  return canceled ? null : (filePaths[0] ?? null);
}
