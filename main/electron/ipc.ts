import { ipcMain, type WebContents } from 'electron';
import { API_METHODS } from '../api/schema.ts';
import type { AppService } from '../app/app-service.ts';
import { callApi } from '../host/api-door.ts';
import { EVENT_CHANNEL, isAppFrame } from '../api/app-origin.ts';

/**
 * One IPC channel per api method (schema.ts), each answered with an Outcome (the preload turns a
 * failure back into a rejection): the sender must be the app's own top frame, then the request
 * passes the same door as on the loopback host.
 */
export function serveApiOverIpc(service: AppService): void {
  for (const method of API_METHODS) {
    ipcMain.handle(method, (event, params: unknown) => {
      if (!isAppFrame(event.senderFrame)) {
        console.warn(
          `Avatar Studio: refused ${method} from ${event.senderFrame?.url ?? 'a closed frame'}`,
        );
        return {
          ok: false,
          error: { code: 'FORBIDDEN', message: 'Only the app’s own page may call it.' },
        };
      }
      return callApi(service, method, params);
    });
  }
}

/** Pushes the service's events to one window's page until it closes; returns the unsubscribe. */
export function forwardEvents(service: AppService, contents: WebContents): () => void {
  return service.subscribe((event, payload) => {
    if (!contents.isDestroyed()) contents.send(EVENT_CHANNEL, event, payload);
  });
}
