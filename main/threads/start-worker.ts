import { Worker } from 'node:worker_threads';

/**
 * Starts the worker thread whose compiled script is `script` (a `./name.js` URL beside the
 * caller, which is where the Electron build puts each worker's bundle).
 *
 * Worker threads do not inherit tsx's module hooks on Node 20, so when the app runs from its
 * TypeScript sources (tests, CLIs, the loopback host) the worker registers them itself before
 * importing the `.ts` module beside the script's name.
 */
export function startWorker(script: URL): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(script);
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const source = JSON.stringify(script.href.replace(/\.js$/, '.ts'));
  return new Worker(`import(${tsx}).then((tsx) => { tsx.register(); return import(${source}); })`, {
    eval: true,
  });
}
