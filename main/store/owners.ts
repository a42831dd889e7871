import crypto from 'node:crypto';

/** Store instances open in this process, so a test can open a second one beside a live first. */
const openInstances = new Set<string>();

/** A new id for one open store; runs it starts record it with the process id. */
export function registerInstance(): string {
  const instance = crypto.randomUUID();
  openInstances.add(instance);
  return instance;
}

export function unregisterInstance(instance: string): void {
  openInstances.delete(instance);
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether the store instance that owns a run still holds its keys. If not, the run crashed:
 * its files can never be read again and are deleted at once.
 */
export function isOwnerAlive(pid: number, instance: string): boolean {
  return pid === process.pid ? openInstances.has(instance) : isProcessAlive(pid);
}
