import type {
  ApiEvent,
  ApiEvents,
  ApiMethod,
  AvatarStudioApi,
  ImageRef,
  ModelPick,
  Params,
  Result,
} from './contract.ts';

/** How a host carries requests and events; the preload and the loopback shim each provide one. */
export interface Transport {
  invoke<M extends ApiMethod>(method: M, params: Params<M>): Promise<Result<M>>;
  subscribe<E extends ApiEvent>(event: E, listener: (payload: ApiEvents[E]) => void): () => void;
  imageUrl(ref: ImageRef): string;
  /**
   * models:add as this host can serve it: Electron's transport passes the pick on (its main
   * process opens the dialog); the loopback host's shows the browser's picker, declares the
   * picked files and streams them to the host.
   */
  addModel(pick: ModelPick): Promise<Result<'models:add'>>;
}

/** `window.avatarStudio` over a transport: the same object on both hosts. */
export function createBridge(transport: Transport): AvatarStudioApi {
  const none = {} as Record<string, never>;
  return {
    status: () => transport.invoke('app:status', none),
    checkPhotos: (photos) => transport.invoke('photos:check', { photos }),
    listStyles: () => transport.invoke('styles:list', none),
    startRun: (request) => transport.invoke('runs:start', request),
    cancelRun: (runId) => transport.invoke('runs:cancel', { runId }),
    listRuns: () => transport.invoke('runs:list', none),
    runAvatars: (runId) => transport.invoke('runs:avatars', { runId }),
    deleteNow: (runId) => transport.invoke('runs:deleteNow', runId === undefined ? {} : { runId }),
    exportAvatars: (request) => transport.invoke('export:avatars', request),
    updateSettings: (patch) => transport.invoke('settings:update', patch),
    listModels: () => transport.invoke('models:list', none),
    setDefaultModel: (id) => transport.invoke('models:setDefault', { id }),
    modelCatalog: () => transport.invoke('models:catalog', none),
    installModel: (id) => transport.invoke('models:install', { id }),
    addModel: (pick) => transport.addModel(pick),
    cancelModelJob: (jobId) => transport.invoke('models:cancel', { jobId }),
    imageUrl: (ref) => transport.imageUrl(ref),
    on: (event, listener) => transport.subscribe(event, listener),
  };
}
