import type {
  ApiEvent,
  ApiEvents,
  ApiMethod,
  ExportRequest,
  ImageRef,
  ModelPick,
  Params,
  PhotoUpload,
  Result,
  RunRequest,
  Settings,
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

/**
 * `window.avatarStudio` over a transport: the same object on both hosts. Each method's friendly
 * name is given here only: AvatarStudioApi (contract.ts) is this object's type.
 */
export function createBridge(transport: Transport) {
  const none = {};
  return {
    status: () => transport.invoke('app:status', none),
    checkPhotos: (photos: PhotoUpload[]) => transport.invoke('photos:check', { photos }),
    listStyles: () => transport.invoke('styles:list', none),
    startRun: (request: RunRequest) => transport.invoke('runs:start', request),
    cancelRun: (runId: string) => transport.invoke('runs:cancel', { runId }),
    listRuns: () => transport.invoke('runs:list', none),
    runAvatars: (runId: string) => transport.invoke('runs:avatars', { runId }),
    deleteNow: (runId?: string) =>
      transport.invoke('runs:deleteNow', runId === undefined ? {} : { runId }),
    exportAvatars: (request: ExportRequest) => transport.invoke('export:avatars', request),
    updateSettings: (patch: Partial<Settings>) => transport.invoke('settings:update', patch),
    listModels: () => transport.invoke('models:list', none),
    setDefaultModel: (id: string) => transport.invoke('models:setDefault', { id }),
    modelCatalog: () => transport.invoke('models:catalog', none),
    installModel: (id: string) => transport.invoke('models:install', { id }),
    /**
     * Lets the user pick a checkpoint or a model folder and imports it; null when they closed
     * the picker. Electron opens a native dialog in its main process; the loopback host's page
     * shows the browser's picker and streams the files to the host first.
     */
    addModel: (pick: ModelPick) => transport.addModel(pick),
    cancelModelJob: (jobId: string) => transport.invoke('models:cancel', { jobId }),
    imageUrl: (ref: ImageRef) => transport.imageUrl(ref),
    on: <E extends ApiEvent>(event: E, listener: (payload: ApiEvents[E]) => void) =>
      transport.subscribe(event, listener),
  };
}
