/** Starts and watches the app under attack (serve.ts) in a child process. */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Host } from '../../main/host/server.ts';
import { postApi } from '../../main/testing/host.ts';

const SERVE = fileURLToPath(new URL('./serve.ts', import.meta.url));

export interface Target {
  /** What main/testing/host.ts's raw requests need to reach it. */
  readonly host: Host;
  readonly dataDir: string;
  readonly rendererDir: string;
  /** How the process ended, or null while it runs. */
  exit(): string | null;
  /** Still serving: the process runs and answers a real call. */
  alive(): Promise<boolean>;
  stop(): Promise<void>;
}

export async function startTarget(dataDir: string, model: string): Promise<Target> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', SERVE, dataDir, model], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let ended: string | null = null;
  const exited = once(child, 'exit').then(([code, signal]) => {
    ended = signal ? `killed by ${String(signal)}` : `exited with code ${String(code)}`;
  });
  // Its log is part of the evidence when an attack fails; keep the tail.
  let log = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => (log = (log + chunk).slice(-4000)));
  let ready: { port: number; secret: string; origin: string; rendererDir: string } | undefined;
  for await (const line of createInterface({ input: child.stdout! })) {
    if (line.startsWith('ready ')) {
      ready = JSON.parse(line.slice('ready '.length)) as typeof ready;
      break;
    }
  }
  if (!ready) throw new Error(`the app did not start: ${log}`);
  const { rendererDir, ...address } = ready;
  const host: Host = {
    ...address,
    url: `${address.origin}/?s=${address.secret}`,
    close: async () => {},
  };
  return {
    host,
    dataDir,
    rendererDir,
    exit: () => (ended === null ? null : `${ended}; its log ends: ${log.slice(-600)}`),
    async alive() {
      if (ended !== null) return false;
      const reply = await postApi(host, 'app:status', '{}').catch(() => null);
      return reply?.status === 200;
    },
    async stop() {
      if (ended === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
