import type { ApiErrorShape, AvatarStudioApi } from '../../main/api/contract.ts';

declare global {
  interface Window {
    /** Provided by Electron's preload or the loopback host's /shim.js; absent anywhere else. */
    avatarStudio?: AvatarStudioApi;
  }
}

/** The bridge, or null when the page was opened outside both hosts. */
export function findApi(): AvatarStudioApi | null {
  return window.avatarStudio ?? null;
}

/** Any rejection as the contract's error shape: both hosts reject with ApiError, anything else is INTERNAL. */
export function toApiError(error: unknown): ApiErrorShape {
  if (typeof error === 'object' && error !== null && 'code' in error && 'message' in error) {
    const { code, message, verdicts, nextAllowedAt } = error as ApiErrorShape;
    return { code, message: String(message), verdicts, nextAllowedAt };
  }
  return { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
}
