/**
 * The loopback host's preload: served as /shim.js (bundled by shim-bundle.ts) and loaded by
 * index.html before the app's bundle, it defines `window.avatarStudio` exactly as Electron's
 * preload does, read-only like contextBridge's.
 */
import { createBridge } from '../api/bridge.ts';
import { createLoopbackTransport } from './loopback-transport.ts';

Object.defineProperty(globalThis, 'avatarStudio', {
  value: Object.freeze(createBridge(createLoopbackTransport())),
  enumerable: true,
});
