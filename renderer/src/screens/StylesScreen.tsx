import { toApiError } from '../api.ts';
import { stylesReady } from '../app/selectors.ts';
import { STYLE_LIMITS } from '../app/state.ts';
import { useStore } from '../app/store.tsx';
import { EmptyState } from '../components/EmptyState.tsx';
import { Icon } from '../components/Icon.tsx';
import { Notice } from '../components/Notice.tsx';
import { Pill, Screen } from '../components/Screen.tsx';
import { StyleCard } from '../components/StyleCard.tsx';

export function StylesScreen() {
  const { api, state, dispatch } = useStore();
  const chosen = state.selectedStyles.length;

  const reload = () => {
    dispatch({ type: 'stylesLoading' });
    api
      .listStyles()
      .then((styles) => dispatch({ type: 'stylesLoaded', payload: styles }))
      .catch((error: unknown) => dispatch({ type: 'stylesFailed', payload: toApiError(error) }));
  };

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
            <button type="button" className="button" data-variant="secondary" onClick={reload}>
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
        <ul className="style-grid" aria-label="Styles">
          {state.styles.value.map((style) => (
            <StyleCard
              key={style.id}
              name={style.name}
              description={style.description}
              previewUrl={api.imageUrl(style.preview)}
              selected={state.selectedStyles.includes(style.id)}
              onToggle={() => dispatch({ type: 'styleToggled', payload: style.id })}
            />
          ))}
        </ul>
      )}
    </Screen>
  );
}
