import type { AvatarStudioApi } from '../../../../../main/api/contract.ts';
import { toApiError } from '../../../api.ts';
import type { Loadable } from '../../state.ts';
import type { Dispatch } from '../index.ts';

/**
 * What an effect works with: the bridge, and dispatch for what it learns. A screen passes its
 * store. Effects never reject: every failure ends in the state, or in the result a screen shows,
 * so a screen may fire one and forget it (`void`).
 */
export interface Context {
  api: AvatarStudioApi;
  dispatch: Dispatch;
}

/** A request's answer or its error: what a screen keeps in its own state. */
export type Settled<T> = Exclude<Loadable<T>, { state: 'loading' }>;

export async function settle<T>(request: Promise<T>): Promise<Settled<T>> {
  try {
    return { state: 'ready', value: await request };
  } catch (error) {
    return { state: 'error', error: toApiError(error) };
  }
}

/** How something the user asked for went, in a sentence for a notice. */
export interface Outcome {
  tone: 'success' | 'info' | 'error';
  message: string;
}
