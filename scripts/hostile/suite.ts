/**
 * The hostile-input suite: every attack family the probe of issue 11 tried, against the real app
 * in a process of its own, loopback only, bounded in count and time. After every attack the app
 * must still answer a real call, or that attack failed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fixtureModel } from '../fixtures/cache.ts';
import { type Attack, type AttackResult, breach, runAttacks } from './attack.ts';
import { fileAttacks } from './families/files.ts';
import { httpAttacks } from './families/http.ts';
import { photoAttacks } from './families/photos.ts';
import { uploadAttacks } from './families/uploads.ts';
import { startTarget } from './target.ts';

/** Per attack: the slowest honest ones (a 238 MB vocabulary, a killed run) take a few seconds. */
const ATTACK_TIMEOUT_MS = 90_000;

export async function runHostileSuite(
  onResult?: (result: AttackResult) => void,
): Promise<AttackResult[]> {
  const work = await mkdtemp(path.join(tmpdir(), 'avatar-hostile-'));
  const model = await fixtureModel('turbo');
  const target = await startTarget(path.join(work, 'app-data'), model);
  try {
    const standing = (attack: Attack): Attack => ({
      ...attack,
      run: async () => {
        await attack.run();
        if (!(await target.alive())) breach(`the app is down: ${target.exit() ?? 'no answer'}`);
      },
    });
    const attacks = [
      ...httpAttacks(target),
      ...uploadAttacks(target),
      ...photoAttacks(target),
      ...fileAttacks(work, model),
    ];
    return await runAttacks(attacks.map(standing), ATTACK_TIMEOUT_MS, onResult);
  } finally {
    await target.stop();
    await rm(work, { recursive: true, force: true });
  }
}
