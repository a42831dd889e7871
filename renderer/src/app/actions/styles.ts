import type { ApiErrorShape, StyleSummary } from '../../../../main/api/contract.ts';
import { sentence } from '../format.ts';
import { STYLE_LIMITS, type AppState } from '../state.ts';

/** Styles: the catalogue and the user's choice of up to five. */

export const stylesLoading = (state: AppState): AppState => ({
  ...state,
  styles: { state: 'loading' },
});

/** Whether a style can be chosen: one whose LoRA is unavailable cannot (its card says why). */
const isChoosable = (style: StyleSummary): boolean => style.lora?.available !== false;

export const stylesLoaded = (state: AppState, styles: StyleSummary[]): AppState => {
  // A style that left the catalogue, or whose LoRA went away, cannot stay chosen.
  const kept = state.selectedStyles.filter((id) =>
    styles.some((s) => s.id === id && isChoosable(s)),
  );
  const lost = styles.filter((s) => state.selectedStyles.includes(s.id) && !kept.includes(s.id));
  return {
    ...state,
    styles: { state: 'ready', value: styles },
    selectedStyles: kept,
    ...(lost.length > 0 && {
      styleNotice: `No longer chosen, as ${lost.length === 1 ? 'it' : 'they'} cannot run now: ${lost.map((s) => s.name).join(', ')}.`,
    }),
  };
};

/**
 * With no list on screen, the error takes its place (with Try again); a list shown stays, as it may
 * still be right, and a notice says it could not be refreshed.
 */
export const stylesFailed = (state: AppState, error: ApiErrorShape): AppState =>
  state.styles.state === 'ready'
    ? {
        ...state,
        styleNotice: `The styles could not be refreshed, so this list may be out of date. ${sentence(error.message)}`,
      }
    : { ...state, styles: { state: 'error', error } };

/**
 * Selects or unselects a style; a sixth is refused with a message, the choice unchanged; one that
 * cannot run is not chosen (its card is disabled, saying why).
 */
export const styleToggled = (state: AppState, id: string): AppState => {
  const style = state.styles.state === 'ready' ? state.styles.value.find((s) => s.id === id) : null;
  if (style && !isChoosable(style)) return state;
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
