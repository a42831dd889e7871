import { Icon } from '../components/Icon.tsx';
import { Screen } from '../components/Screen.tsx';
import { ModelManager } from './ModelManager.tsx';

/** The model manager's CLI, for those who prefer a terminal. */
export function TerminalHelp({ onCheckAgain }: { onCheckAgain?: () => void }) {
  return (
    <details className="install-help">
      <summary>From a terminal instead</summary>
      <pre className="code">npm run models -- install sd-turbo</pre>
      <pre className="code">npm run models -- import /path/to/model</pre>
      {onCheckAgain && (
        <button type="button" className="button" data-variant="ghost" onClick={onCheckAgain}>
          <Icon name="refresh" /> I've installed one: check again
        </button>
      )}
    </details>
  );
}

/** No model installed yet: not an error, a first step. */
export function ModelScreen({ onCheckAgain }: { onCheckAgain: () => void }) {
  return (
    <Screen
      id="model"
      title="One more step: a model"
      subtitle="Avatar Studio draws your avatars with a diffusion model that runs on this computer. None is installed yet: download one, or add one you already have."
    >
      <div className="card model-card">
        <ModelManager />
        <TerminalHelp onCheckAgain={onCheckAgain} />
      </div>
    </Screen>
  );
}
