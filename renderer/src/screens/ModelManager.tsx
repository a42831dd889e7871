import { useEffect, useState } from 'react';
import type { CatalogModel, ModelPick } from '../../../main/api/contract.ts';
import {
  addModel,
  cancelModelJob,
  installModel,
  loadCatalog,
} from '../app/actions/effects/models.ts';
import type { Loadable, ModelOrigin } from '../app/state.ts';
import { useStore } from '../app/store.tsx';
import { CatalogCard } from '../components/CatalogCard.tsx';
import { Icon } from '../components/Icon.tsx';
import { ModelJobProgress } from '../components/ModelJobProgress.tsx';
import { Notice } from '../components/Notice.tsx';
import { Spinner } from '../components/Spinner.tsx';

const ADD_BUTTONS: readonly [ModelPick, string][] = [
  ['file', 'Add a .safetensors file…'],
  ['folder', 'Add a model folder…'],
];

const sameOrigin = (a: ModelOrigin, b: ModelOrigin): boolean =>
  a.kind === b.kind && (a.kind === 'add' || (b.kind === 'install' && a.id === b.id));

/**
 * Getting a model without a terminal: the catalogue (licence first, then Install) and "add a
 * model file or folder". One job at a time; its progress, cancel and outcome show at the control
 * that started it, and a polite live region says what is happening.
 */
export function ModelManager({ level = 2 }: { level?: 2 | 3 }) {
  const store = useStore();
  const { api, state } = store;
  const [catalog, setCatalog] = useState<Loadable<CatalogModel[]>>({ state: 'loading' });
  const [reviewing, setReviewing] = useState<string | null>(null);
  const job = state.modelJob;
  // A job counts once the host runs it: an open picker blocks nothing.
  const running = job !== null && (job.jobId !== null || job.progress !== null);

  // Again once a model job installed one: its card says so.
  useEffect(() => {
    void loadCatalog({ api }).then(setCatalog);
  }, [api, state.modelsInstalled]);

  const install = (model: CatalogModel) => {
    setReviewing(null);
    void installModel(store, model);
  };

  const cancel = () => {
    if (job?.jobId) void cancelModelJob(store, job.jobId);
  };

  /** The job's progress, or how it ended, where `origin`'s control is. */
  const statusAt = (origin: ModelOrigin) => {
    if (running && sameOrigin(job.origin, origin)) {
      return <ModelJobProgress job={job} onCancel={cancel} />;
    }
    const outcome = state.modelOutcome;
    if (!running && outcome && sameOrigin(outcome.origin, origin)) {
      return (
        <Notice tone={outcome.tone} testId="model-outcome">
          {outcome.message}
        </Notice>
      );
    }
    return null;
  };

  const Heading = level === 2 ? 'h2' : 'h3';
  const busyHint = running && (
    <p className="field-hint">
      One model at a time: wait for {job.name ?? 'the one being added'} or cancel it.
    </p>
  );

  return (
    <div className="model-manager">
      <section className="model-source" aria-labelledby="catalog-title">
        <Heading id="catalog-title" className="card-title">
          <Icon name="download" /> Download a model
        </Heading>
        {catalog.state === 'loading' && <Spinner label="Loading the catalogue…" />}
        {catalog.state === 'error' && (
          <Notice tone="error" title="The catalogue could not be read">
            {catalog.error.message}
          </Notice>
        )}
        {catalog.state === 'ready' && (
          <ul className="catalog-list" aria-label="Models you can download">
            {catalog.value.map((model) => (
              <CatalogCard
                key={model.id}
                model={model}
                reviewing={reviewing === model.id}
                installing={running && sameOrigin(job.origin, { kind: 'install', id: model.id })}
                disabled={running}
                onReview={() => setReviewing(model.id)}
                onInstall={() => install(model)}
                onNotNow={() => setReviewing(null)}
              >
                {statusAt({ kind: 'install', id: model.id })}
              </CatalogCard>
            ))}
          </ul>
        )}
      </section>

      <section className="model-source" aria-labelledby="add-model-title">
        <Heading id="add-model-title" className="card-title">
          <Icon name="upload" /> Add a model file or folder
        </Heading>
        <p className="field-hint">
          A Stable Diffusion checkpoint (.safetensors, SD 1.5 or 2.x) or a model folder (diffusers,
          or ONNX in the desktop app) you already have. It is checked first, then built for this
          computer; nothing is downloaded.
        </p>
        <div className="add-model-actions">
          {ADD_BUTTONS.map(([pick, label]) => (
            <button
              key={pick}
              type="button"
              className="button"
              data-variant="secondary"
              disabled={running}
              onClick={() => void addModel(store, pick)}
            >
              <Icon name="box" /> {label}
            </button>
          ))}
        </div>
        {statusAt({ kind: 'add' })}
      </section>
      {busyHint}

      <p className="visually-hidden" aria-live="polite" data-testid="model-live">
        {running
          ? `${job.progress?.label ?? `Starting ${job.name ?? 'the model'}`}.`
          : (state.modelOutcome?.message ?? '')}
      </p>
    </div>
  );
}
