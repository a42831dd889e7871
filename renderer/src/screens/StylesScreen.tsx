import { useEffect, useState, type KeyboardEvent } from 'react';
import type { StyleSummary } from '../../../main/api/contract.ts';
import { loadStyles, reloadStyles } from '../app/actions/effects/app.ts';
import { stylesReady } from '../app/selectors.ts';
import { STYLE_LIMITS } from '../app/state.ts';
import { useStore } from '../app/store.tsx';
import { EmptyState } from '../components/EmptyState.tsx';
import { Icon } from '../components/Icon.tsx';
import { Notice } from '../components/Notice.tsx';
import { Pill, Screen } from '../components/Screen.tsx';
import { StyleCard } from '../components/StyleCard.tsx';

export function StylesScreen() {
  const store = useStore();
  const { api, state, dispatch } = store;
  const chosen = state.selectedStyles.length;

  // Afresh on every visit: a LoRA installed or removed, or another default model, changes
  // which styles can run. Quietly: the list on screen stays until the new one arrives (and,
  // should the request fail, stays with a notice saying it may be out of date).
  useEffect(() => {
    void loadStyles({ api, dispatch });
  }, [api, dispatch]);

  return (
    <Screen
      id="styles"
      title="Pick your styles"
      subtitle={`Choose up to ${STYLE_LIMITS.max}. Your avatars are spread evenly over them.`}
      aside={
        <Pill tone={chosen === 0 ? 'neutral' : 'accent'} testId="style-counter">
          {chosen} of up to {STYLE_LIMITS.max} chosen
        </Pill>
      }
      footer={
        <>
          <button
            type="button"
            className="button"
            data-variant="ghost"
            onClick={() => dispatch({ type: 'stepChosen', payload: 'photos' })}
          >
            <Icon name="arrowLeft" /> Photos
          </button>
          <p className="action-hint" aria-live="polite">
            {chosen === 0 ? 'Choose at least one style.' : `${chosen} chosen.`}
          </p>
          <button
            type="button"
            className="button"
            data-variant="primary"
            disabled={!stylesReady(state)}
            onClick={() => dispatch({ type: 'stepChosen', payload: 'generate' })}
          >
            Review and generate <Icon name="arrowRight" />
          </button>
        </>
      }
    >
      {state.styleNotice && (
        <Notice
          tone="warning"
          testId="style-notice"
          action={
            <button
              type="button"
              className="icon-button"
              aria-label="Dismiss"
              onClick={() => dispatch({ type: 'styleNoticeDismissed' })}
            >
              <Icon name="x" />
            </button>
          }
        >
          {state.styleNotice}
        </Notice>
      )}
      {state.styles.state === 'loading' && (
        <ul className="style-grid" aria-busy="true" aria-label="Loading styles">
          {Array.from({ length: 8 }, (_, i) => (
            <li key={i} className="skeleton style-skeleton" />
          ))}
        </ul>
      )}
      {state.styles.state === 'error' && (
        <Notice
          tone="error"
          title="The styles could not be loaded"
          action={
            <button
              type="button"
              className="button"
              data-variant="secondary"
              onClick={() => void reloadStyles(store)}
            >
              <Icon name="refresh" /> Try again
            </button>
          }
        >
          {state.styles.error.message}
        </Notice>
      )}
      {state.styles.state === 'ready' && state.styles.value.length === 0 && (
        <EmptyState icon="sparkles" title="No styles installed">
          The style catalogue (models/styles.json) is empty.
        </EmptyState>
      )}
      {state.styles.state === 'ready' && state.styles.value.length > 0 && (
        <StyleGrid styles={state.styles.value} />
      )}
    </Screen>
  );
}

/**
 * The cards, one Tab stop (roving tabindex): the arrow keys move between them as laid out,
 * Home and End to the first and last, Space or Enter chooses the focused one.
 */
function StyleGrid({ styles }: { styles: StyleSummary[] }) {
  const { api, state, dispatch } = useStore();
  const [focused, setFocused] = useState<string | null>(null);
  const tabStop =
    styles.find((s) => s.id === focused)?.id ??
    styles.find((s) => state.selectedStyles.includes(s.id))?.id ??
    styles[0]?.id;
  return (
    <>
      <p id="style-grid-keys" className="visually-hidden">
        Arrow keys move between the styles; Space or Enter chooses one.
      </p>
      <ul
        className="style-grid"
        aria-label="Styles"
        aria-describedby="style-grid-keys"
        onKeyDown={moveFocus}
      >
        {styles.map((style) => (
          <StyleCard
            key={style.id}
            name={style.name}
            description={style.description}
            previewUrl={api.imageUrl(style.preview)}
            lora={style.lora}
            selected={state.selectedStyles.includes(style.id)}
            tabbable={style.id === tabStop}
            onToggle={() => dispatch({ type: 'styleToggled', payload: style.id })}
            onFocus={() => setFocused(style.id)}
          />
        ))}
      </ul>
    </>
  );
}

function moveFocus(event: KeyboardEvent<HTMLUListElement>) {
  const cards = [...event.currentTarget.querySelectorAll<HTMLElement>('.style-card')];
  const from = cards.findIndex((card) => card === document.activeElement);
  if (from < 0 || event.altKey || event.ctrlKey || event.metaKey) return;
  const to = target(event.key, from, cards.length, columns(cards));
  if (to === undefined) return;
  event.preventDefault();
  cards[to]?.focus();
}

/** Where a key moves focus from card `from` of `count`, laid out `perRow` a row. */
function target(key: string, from: number, count: number, perRow: number): number | undefined {
  switch (key) {
    case 'ArrowRight':
      return Math.min(from + 1, count - 1);
    case 'ArrowLeft':
      return Math.max(from - 1, 0);
    case 'ArrowDown':
      return from + perRow < count ? from + perRow : from;
    case 'ArrowUp':
      return from - perRow >= 0 ? from - perRow : from;
    case 'Home':
      return 0;
    case 'End':
      return count - 1;
    default:
      return undefined;
  }
}

/** Cards a row, as the grid lays them out now (it reflows with the window). */
function columns(cards: HTMLElement[]): number {
  const top = cards[0]?.getBoundingClientRect().top;
  const next = cards.findIndex((card) => card.getBoundingClientRect().top !== top);
  return next < 0 ? cards.length : next;
}
