/**
 * The hostile-input suite's vocabulary: an attack is one thing an attacker (or a broken file) can
 * throw at the app; it passes when the app refuses it cleanly (a typed error, a verdict naming
 * the input, a status that says why) and the app is still standing afterwards.
 */
export interface Attack {
  family: string;
  name: string;
  /** Resolves when the app refused cleanly; throws (with the evidence) when it did not. */
  run(): Promise<void>;
}

export interface AttackResult {
  family: string;
  name: string;
  /** 'refused': cleanly; 'failed': crashed the target, hung, or got through. */
  outcome: 'refused' | 'failed';
  detail?: string;
  ms: number;
}

/** Fails an attack with the evidence. */
export function breach(message: string): never {
  throw new Error(message);
}

/** Runs each attack within `timeoutMs` (a hang is a failure, not a wait). */
export async function runAttacks(
  attacks: readonly Attack[],
  timeoutMs: number,
  onResult: (result: AttackResult) => void = () => {},
): Promise<AttackResult[]> {
  const results: AttackResult[] = [];
  for (const attack of attacks) {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const hang = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    let result: AttackResult;
    try {
      await Promise.race([attack.run(), hang]);
      result = { family: attack.family, name: attack.name, outcome: 'refused', ms: 0 };
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      result = { family: attack.family, name: attack.name, outcome: 'failed', detail, ms: 0 };
    } finally {
      clearTimeout(timer);
    }
    result.ms = Math.round(performance.now() - started);
    results.push(result);
    onResult(result);
  }
  return results;
}

/** One row per family and a total: tried, refused cleanly, failed. */
export function totalsTable(results: readonly AttackResult[]): string {
  const families = [...new Set(results.map((result) => result.family))];
  const row = (name: string, of: readonly AttackResult[]) => {
    const refused = of.filter((result) => result.outcome === 'refused').length;
    return `| ${name} | ${of.length} | ${refused} | ${of.length - refused} |`;
  };
  return [
    '| family | tried | refused cleanly | failed (crashed, hung or got through) |',
    '|---|---|---|---|',
    ...families.map((family) =>
      row(
        family,
        results.filter((result) => result.family === family),
      ),
    ),
    row('**all**', results),
  ].join('\n');
}
