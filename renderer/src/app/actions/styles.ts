import type { ApiErrorShape, StyleSummary } from '../../../../main/api/contract.ts';
import { STYLE_LIMITS, type AppState } from '../state.ts';

/** Styles: the catalogue and the user's choice of up to five. */

export const stylesLoading = (state: AppState): AppState => ({
  ...state,
  styles: { state: 'loading' },
});

export const stylesLoaded = (state: AppState, styles: StyleSummary[]): AppState => ({
  ...state,
  styles: { state: 'ready', value: styles },
  // A style that left the catalogue cannot stay chosen.
  selectedStyles: state.selectedStyles.filter((id) => styles.some((style) => style.id === id)),
});

export const stylesFailed = (state: AppState, error: ApiErrorShape): AppState => ({
  ...state,
  styles: { state: 'error', error },
});

/** Selects or unselects a style; a sixth is refused with a message, the choice unchanged. */
export const styleToggled = (state: AppState, id: string): AppState => {
  if (state.selectedStyles.includes(id)) {
    return {
      ...state,
      selectedStyles: state.selectedStyles.filter((chosen) => chosen !== id),
      styleNotice: null,
    };
  }
  if (state.selectedStyles.length >= STYLE_LIMITS.max) {
    return {
      ...state,
      styleNotice: `You can choose up to ${STYLE_LIMITS.max} styles. Unselect one to pick another.`,
    };
  }
  return { ...state, selectedStyles: [...state.selectedStyles, id], styleNotice: null };
};

export const styleNoticeDismissed = (state: AppState): AppState => ({
  ...state,
  styleNotice: null,
});
