import { env, InferenceSession } from 'onnxruntime-node';
import { EngineError } from '../errors.ts';
import { defaultIntraOpThreads } from './threads.ts';

// Every onnxruntime failure reaches us as an exception that we report with its file; its own log
// would repeat it on the user's terminal (a GPU provider that cannot load is routine).
env.logLevel = 'fatal';

export const PROVIDER_REQUESTS = ['auto', 'cpu', 'cuda', 'dml', 'coreml'] as const;
export type ProviderRequest = (typeof PROVIDER_REQUESTS)[number];
export type ProviderName = Exclude<ProviderRequest, 'auto'>;

/** Why a provider that was tried is not the one running. */
export interface ProviderFallback {
  provider: ProviderName;
  reason: string;
}

/** Which provider runs the model, and why any tried before it did not. */
export interface ProviderReport {
  provider: ProviderName;
  fallbacks: ProviderFallback[];
}

/** The platform's GPU provider, if onnxruntime-node has one there. */
function gpuProviderFor(platform: NodeJS.Platform): ProviderName | undefined {
  switch (platform) {
    case 'linux':
      return 'cuda';
    case 'win32':
      return 'dml';
    case 'darwin':
      return 'coreml';
    default:
      return undefined;
  }
}

/** Providers to try, best first; CPU always closes the list so a run never fails for want of a GPU. */
export function candidateProviders(
  request: ProviderRequest,
  platform: NodeJS.Platform = process.platform,
): ProviderName[] {
  if (request === 'cpu') return ['cpu'];
  if (request === 'auto') {
    const gpu = gpuProviderFor(platform);
    return gpu ? [gpu, 'cpu'] : ['cpu'];
  }
  return [request, 'cpu'];
}

export interface SessionOptions {
  /** Threads per operator; undefined means one per physical core (threads.ts). */
  intraOpThreads?: number;
  /**
   * onnxruntime's CPU memory arena, off unless asked for: it keeps each session's largest
   * activation peak reserved for the session's life (bench part 11 measures both).
   */
  memoryArena?: boolean;
}

function sessionOptions(
  provider: ProviderName,
  options: SessionOptions,
): InferenceSession.SessionOptions {
  return {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: options.intraOpThreads ?? defaultIntraOpThreads(),
    enableCpuMemArena: options.memoryArena ?? false,
  };
}

/**
 * onnxruntime-node throws at session creation when a provider's library cannot load; it does not
 * fall back by itself. So providers are tried one at a time and every refusal is kept for the
 * report. A failure on CPU, the last resort, is the model file's fault.
 */
export async function createSession(
  file: string,
  displayName: string,
  providers: readonly ProviderName[],
  options: SessionOptions,
  /** The graph itself, when what runs differs from the file (deterministic-encoder.ts). */
  bytes?: Uint8Array,
): Promise<{ session: InferenceSession } & ProviderReport> {
  const fallbacks: ProviderFallback[] = [];
  for (const provider of providers) {
    try {
      const settings = sessionOptions(provider, options);
      const session = await (bytes
        ? InferenceSession.create(bytes, settings)
        : InferenceSession.create(file, settings));
      return { session, provider, fallbacks };
    } catch (error) {
      const reason = firstLine(error);
      if (provider === 'cpu') {
        throw new EngineError(
          'MODEL_FILE_CORRUPT',
          `${displayName} cannot be loaded (truncated, corrupt or not an ONNX model): ${reason}`,
          file,
        );
      }
      fallbacks.push({ provider, reason });
    }
  }
  throw new EngineError(
    'PROVIDER_UNAVAILABLE',
    `${displayName}: no execution provider could load it (${fallbacks.map((f) => `${f.provider}: ${f.reason}`).join('; ')})`,
    file,
  );
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]!.trim();
}
