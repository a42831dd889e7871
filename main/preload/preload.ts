/**
 * The sandboxed preload: `window.avatarStudio` over IPC, the same object the loopback host's
 * shim builds. Bundled into one CommonJS file (build.ts): a sandboxed preload may require only
 * 'electron'.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { createBridge, type Transport } from '../api/bridge.ts';
import type { ApiEvents, Outcome } from '../api/contract.ts';
import { imagePath } from '../api/image-route.ts';
import { APP_ORIGIN, EVENT_CHANNEL } from '../api/app-origin.ts';

const transport: Transport = {
  async invoke(method, params) {
    const outcome = (await ipcRenderer.invoke(method, params)) as Outcome<never>;
    if (outcome.ok) return outcome.result;
    // contextBridge keeps only an Error's message, so the page gets the ApiError's fields (code,
    // message, verdicts, nextAllowedAt) as a plain object, which it copies whole.
    throw { name: 'ApiError', ...outcome.error };
  },
  subscribe(event, listener) {
    const deliver = (_sender: IpcRendererEvent, name: string, payload: unknown) => {
      if (name === event) listener(payload as ApiEvents[typeof event]);
    };
    ipcRenderer.on(EVENT_CHANNEL, deliver);
    return () => void ipcRenderer.removeListener(EVENT_CHANNEL, deliver);
  },
  imageUrl: (ref) => `${APP_ORIGIN}${imagePath(ref)}`,
  // The main process opens the dialog and imports what was picked: no path reaches the page.
  addModel(pick) {
    return transport.invoke('models:add', { pick });
  },
};

contextBridge.exposeInMainWorld('avatarStudio', createBridge(transport));
