import { Icon } from '../components/Icon.tsx';
import { Screen } from '../components/Screen.tsx';

/** How to get a model, in the words of the model manager's CLI. */
export function InstallHelp() {
  return (
    <div className="install-help">
      <p>Install the recommended model, SD-Turbo (a few GB, downloaded once and verified):</p>
      <pre className="code">npm run models -- install sd-turbo</pre>
      <p>Or bring a model folder you already have (ONNX, SD 1.5 / SD-Turbo / LCM):</p>
      <pre className="code">npm run models -- import /path/to/model</pre>
    </div>
  );
}

/** No model installed yet: not an error, a first step. */
export function ModelScreen({
  onCheckAgain,
  checking,
}: {
  onCheckAgain: () => void;
  checking: boolean;
}) {
  return (
    <Screen
      id="model"
      title="One more step: a model"
      subtitle="Avatar Studio draws your avatars with a diffusion model that runs on this computer. None is installed yet."
    >
      <div className="card model-card">
        <span className="model-card-icon" aria-hidden="true">
          <Icon name="box" size={28} />
        </span>
        <InstallHelp />
        <p className="field-hint">
          Downloads are checked (SHA-256) before the model appears; your photos are never part of
          any download.
        </p>
        <button
          type="button"
          className="button"
          data-variant="primary"
          onClick={onCheckAgain}
          disabled={checking}
        >
          <Icon name="refresh" /> {checking ? 'Checking…' : "I've installed one: check again"}
        </button>
      </div>
    </Screen>
  );
}
