/**
 * The app's own origin in Electron, app://avatar-studio, and the IPC channel its events use.
 * Imports nothing: the sandboxed preload bundles it too.
 */
export const APP_SCHEME = 'app';
export const APP_HOST = 'avatar-studio';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
/** Events go out on one channel, (event name, payload); requests use one channel per method. */
export const EVENT_CHANNEL = 'api:event';

/** A frame as IPC reports its sender (Electron's WebFrameMain, or null once it is gone). */
export interface SenderFrame {
  url: string;
  parent: unknown;
}

/** Only the top frame of the app's own page may call the api: no subframe, no other URL. */
export function isAppFrame(frame: SenderFrame | null): boolean {
  return frame !== null && frame.parent === null && frame.url.startsWith(`${APP_ORIGIN}/`);
}
