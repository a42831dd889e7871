/**
 * Electron's security checklist, the parts that are not window options: no permission is ever
 * granted, the page cannot navigate, open windows or embed webviews, and no request leaves the
 * machine. The page needs only app://; the one download the app knows (a model the user asks
 * for) runs in Node (main/models), outside Chromium's network stack and this filter.
 */
import type { Session, WebContents } from 'electron';

const LOCAL_PROTOCOLS = new Set(['app:', 'devtools:', 'blob:', 'data:']);

export function lockDownSession(session: Session): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.webRequest.onBeforeRequest((details, callback) => {
    const local = LOCAL_PROTOCOLS.has(new URL(details.url).protocol);
    if (!local) console.warn(`Avatar Studio: cancelled a request to ${details.url}`);
    callback({ cancel: !local });
  });
}

export function lockDownContents(contents: WebContents): void {
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}
