import type { CatalogModel, ModelPick, ModelSummary } from '../../../../../main/api/contract.ts';
import { toApiError } from '../../../api.ts';
import { settle, type Context, type Settled } from './context.ts';

/** Getting a model (one job at a time, its progress in the state) and choosing the default. */

export const loadCatalog = ({ api }: Pick<Context, 'api'>): Promise<Settled<CatalogModel[]>> =>
  settle(api.modelCatalog());

export const loadModels = ({ api }: Pick<Context, 'api'>): Promise<Settled<ModelSummary[]>> =>
  settle(api.listModels());

export async function installModel({ api, dispatch }: Context, model: CatalogModel): Promise<void> {
  dispatch({
    type: 'modelJobRequested',
    payload: { origin: { kind: 'install', id: model.id }, name: model.name },
  });
  try {
    const { jobId } = await api.installModel(model.id);
    dispatch({ type: 'modelJobStarted', payload: jobId });
  } catch (error) {
    dispatch({ type: 'modelJobRefused', payload: toApiError(error) });
  }
}

/** A file or folder the user picks in the host's dialog; closing it starts nothing. */
export async function addModel({ api, dispatch }: Context, pick: ModelPick): Promise<void> {
  dispatch({ type: 'modelJobRequested', payload: { origin: { kind: 'add' }, name: null } });
  try {
    const started = await api.addModel(pick);
    dispatch(
      started
        ? { type: 'modelJobStarted', payload: started.jobId }
        : { type: 'modelJobNotStarted' },
    );
  } catch (error) {
    dispatch({ type: 'modelJobRefused', payload: toApiError(error) });
  }
}

export async function cancelModelJob({ api, dispatch }: Context, jobId: string): Promise<void> {
  dispatch({ type: 'modelCancelRequested' });
  try {
    await api.cancelModelJob(jobId);
  } catch (error) {
    dispatch({ type: 'modelCancelFailed', payload: toApiError(error) });
  }
}

/** The default for new runs; the status (the model in use) and the list, as they are now. */
export async function makeDefaultModel(
  { api, dispatch }: Context,
  id: string,
): Promise<Settled<ModelSummary[]>> {
  try {
    await api.setDefaultModel(id);
    const [status, models] = await Promise.all([api.status(), api.listModels()]);
    dispatch({ type: 'statusLoaded', payload: status });
    return { state: 'ready', value: models };
  } catch (error) {
    return { state: 'error', error: toApiError(error) };
  }
}
