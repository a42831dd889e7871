/**
 * The one tfjs instance of the process, on the WASM backend.
 *
 * face-api's node-wasm build and nsfwjs both `require('@tensorflow/tfjs')` rather than bundling
 * their own copy, so initialising the backend here once serves both. tfjs-node cannot install
 * offline and the pure-JS CPU backend is an order of magnitude slower, hence WASM.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

export type Tfjs = typeof tf;

let ready: Promise<Tfjs> | undefined;

/** Selects the WASM backend (loading its binary from node_modules, never a CDN) once. */
export function initTfjs(): Promise<Tfjs> {
  ready ??= (async () => {
    const wasmDist = path.dirname(
      createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'),
    );
    setWasmPaths(`${wasmDist}${path.sep}`);
    if (!(await tf.setBackend('wasm'))) throw new Error('tfjs: the WASM backend failed to start');
    await tf.ready();
    return tf;
  })();
  return ready;
}
