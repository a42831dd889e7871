import { useStore } from '../app/store.tsx';
import { Icon } from '../components/Icon.tsx';

/** "Open the gallery": where a run's avatars wait, from the run's end and from the studio. */
export function OpenGalleryButton() {
  const { dispatch } = useStore();
  return (
    <button
      type="button"
      className="button"
      data-variant="primary"
      onClick={() => dispatch({ type: 'stepChosen', payload: 'gallery' })}
    >
      Open the gallery <Icon name="arrowRight" />
    </button>
  );
}
