import { createContext, useContext, type ReactNode } from 'react';
import type { AvatarStudioApi } from '../../../main/api/contract.ts';
import type { Dispatch } from './actions/index.ts';
import type { AppState } from './state.ts';

interface Store {
  api: AvatarStudioApi;
  state: AppState;
  dispatch: Dispatch;
}

const StoreContext = createContext<Store | null>(null);

export function StoreProvider({ value, children }: { value: Store; children: ReactNode }) {
  return <StoreContext.Provider value={value}>{children}</StoreContext.Provider>;
}

/** The bridge, the state and dispatch: for screens (wired), never for presentational components. */
export function useStore(): Store {
  const store = useContext(StoreContext);
  if (!store) throw new Error('useStore outside StoreProvider');
  return store;
}
