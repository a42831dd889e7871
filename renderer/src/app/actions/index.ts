import type { AppState } from '../state.ts';
import * as app from './app.ts';
import * as gallery from './gallery.ts';
import * as models from './models.ts';
import * as photos from './photos.ts';
import * as run from './run.ts';
import * as styles from './styles.ts';

/**
 * Every action is a data transformation `(state, payload) → state`, named for what happened.
 * The reducer only looks them up: the logic lives in the action files, one per area. The work
 * with the host (requests, files, the clipboard) is done by the effects in effects/, named for
 * what the user asked, which dispatch these as it happens: screens call those, never the bridge.
 */
const actions = { ...app, ...photos, ...styles, ...run, ...gallery, ...models };

type Actions = typeof actions;
type PayloadOf<F> = F extends (state: AppState) => AppState
  ? undefined
  : F extends (state: AppState, payload: infer P) => AppState
    ? P
    : never;

export type Action = {
  [K in keyof Actions]: PayloadOf<Actions[K]> extends undefined
    ? { type: K; payload?: undefined }
    : { type: K; payload: PayloadOf<Actions[K]> };
}[keyof Actions];

export type Dispatch = (action: Action) => void;

export function reducer(state: AppState, action: Action): AppState {
  const perform = actions[action.type] as (state: AppState, payload: unknown) => AppState;
  return perform(state, action.payload);
}
