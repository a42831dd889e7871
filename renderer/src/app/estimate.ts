import type { ModelFamily, ProviderName } from '../../../main/api/contract.ts';

/**
 * A rough time for a run before it starts: the per-avatar time measured on this machine by the
 * last run when there is one, else a typical figure for the model family and device (512 px).
 * The run itself reports a measured ETA as soon as its first step is done.
 */
const TYPICAL_SECONDS: Record<ModelFamily, { cpu: number; gpu: number }> = {
  turbo: { cpu: 20, gpu: 1.5 },
  lcm: { cpu: 40, gpu: 2 },
  sd15: { cpu: 180, gpu: 6 },
};

const MEASURED_KEY = 'avatar-studio.secondsPerAvatar';

export function estimateSeconds(
  count: number,
  family: ModelFamily,
  provider: ProviderName | null,
): { seconds: number; measured: boolean } {
  const measured = Number(localStorage.getItem(MEASURED_KEY));
  if (Number.isFinite(measured) && measured > 0)
    return { seconds: count * measured, measured: true };
  const typical = TYPICAL_SECONDS[family];
  return {
    seconds: count * (provider && provider !== 'cpu' ? typical.gpu : typical.cpu),
    measured: false,
  };
}

/** Remembers what an avatar cost on this machine, for the next run's estimate. */
export function rememberSecondsPerAvatar(seconds: number): void {
  if (Number.isFinite(seconds) && seconds > 0) localStorage.setItem(MEASURED_KEY, String(seconds));
}
