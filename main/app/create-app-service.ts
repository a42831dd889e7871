/**
 * The application behind the api: the store (its retention sweeper on a timer), the style
 * catalogue (loaded at start-up), the model and its warm resources, the runs, and export. Each
 * handler takes validated params (validate.ts) and fails only with ApiError.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  ApiError,
  type ApiHandlers,
  type AppStatus,
  type ImageRef,
  type ModelSummary,
  type Settings,
} from '../api/contract.ts';
import { exportAvatars } from '../export/export-avatars.ts';
import { checkPhotos } from '../intake/intake.ts';
import { DEFAULT_CATALOG } from '../models/catalog.ts';
import { cleanLeftovers, getInstalled, listInstalled } from '../models/registry.ts';
import { openStore, type Settings as StoreSettings } from '../store/index.ts';
import { loadStyleCatalog } from '../styles/catalog.ts';
import { loadVision } from '../vision/vision-client.ts';
import type { AppService, AppServiceOptions, ServedImage } from './app-service.ts';
import { toApiError } from './errors.ts';
import { submittedPhotos, toIntakeReport } from './photos.ts';
import { ModelJobs } from './model-jobs.ts';
import { ModelSlot } from './model-slot.ts';
import { folderSummary, installedSummary } from './model-summary.ts';
import { Runs, type Emit } from './runs.ts';
import { styleSummary } from './style-summary.ts';

const DEFAULT_SIZE = 512;

const PREVIEW_TYPES: Record<string, string> = {
  '.webp': 'image/webp',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
};

export async function createAppService(options: AppServiceOptions = {}): Promise<AppService> {
  // The catalogue first: a broken one is a build fault, found before anything is opened.
  const styles = await loadStyleCatalog(options.styles);
  const store = openStore(options.dataDir === undefined ? {} : { dataDir: options.dataDir });
  const models = new ModelSlot({
    store,
    ...(options.model === undefined ? {} : { explicit: options.model }),
    ...(options.provider === undefined ? {} : { provider: options.provider }),
  });

  const listeners = new Set<Emit>();
  const emit: Emit = (event, payload) => {
    for (const listener of listeners) {
      // A host's failure to deliver must not stop the run or the other hosts.
      try {
        listener(event, payload);
      } catch (error) {
        console.error(`avatar studio: a listener of ${event} failed`, error);
      }
    }
  };
  const runs = new Runs({
    store,
    size: options.size ?? DEFAULT_SIZE,
    // Runs choose from the catalogue the picker lists.
    resources: async () => ({ ...(await models.resources()), styles }),
    emit,
  });
  // Staging folders of a process that died mid-install or mid-upload.
  await cleanLeftovers(store.dataDir);
  const modelJobs = new ModelJobs({
    store,
    emit,
    catalogFile: options.catalog ?? DEFAULT_CATALOG,
    defaultId: () => models.defaultId(),
    ...(options.pickModel ? { pick: options.pickModel } : {}),
    ...(options.modelUploads ? { uploads: true } : {}),
    ...(options.freeBytes ? { freeBytes: options.freeBytes } : {}),
  });

  async function status(): Promise<AppStatus> {
    const resolved = await models.resolveIfAny();
    let model: ModelSummary | null = null;
    if (resolved?.installed) model = installedSummary(resolved.installed, await models.defaultId());
    else if (resolved) model = await folderSummary(resolved.dir, (await models.resources()).model);
    const loaded = resolved && models.loaded(resolved.dir);
    const { used, limit, nextAllowedAt } = store.quota();
    return {
      model,
      modelJob: modelJobs.current,
      device: loaded ? { provider: loaded.provider, fallbacks: loaded.fallbacks } : null,
      settings: apiSettings(store.settings()),
      quota: { used, limit, nextAllowedAt },
      activeRunId: runs.activeRunId,
      activeRunProgress: runs.activeRunProgress,
      secondsPerAvatar: runs.secondsPerAvatar(resolved?.dir),
    };
  }

  const handlers: ApiHandlers = {
    'app:status': status,
    'photos:check': async ({ photos }) => {
      // The detectors a run uses (loaded once per process); no model, no quota, nothing stored.
      return toIntakeReport(await checkPhotos(submittedPhotos(photos), await loadVision()));
    },
    'styles:list': async () => {
      // Each LoRA as it stands for the model the next run uses (none yet: no line to check).
      const modelDir = (await models.resolveIfAny().catch(() => null))?.dir;
      const lora = { dataDir: store.dataDir, ...(modelDir !== undefined && { modelDir }) };
      return Promise.all(styles.styles.map((style) => styleSummary(style, lora)));
    },
    'runs:start': (request) => runs.start(request),
    'runs:cancel': async ({ runId }) => {
      await runs.cancel(runId);
      return null;
    },
    'runs:list': async () =>
      store.countdown().map(({ id, status, uploads, avatars, secondsUntilDeletion }) => ({
        runId: id,
        status,
        uploads,
        avatars,
        secondsUntilDeletion,
      })),
    'runs:avatars': async ({ runId }) => runs.avatars(runId),
    'runs:deleteNow': ({ runId }) => runs.deleteNow(runId),
    'export:avatars': async ({ avatarIds, size, format, circle }) => {
      const images = avatarIds.map((id) => ({
        styleId: runs.avatar(id).styleId,
        bytes: store.readImage(id),
      }));
      return exportAvatars(images, { size, format, circle });
    },
    'settings:update': async (patch) => apiSettings(store.updateSettings(patch)),
    'models:list': async () => {
      const defaultId = await models.defaultId();
      return (await listInstalled(store.dataDir)).map((m) => installedSummary(m, defaultId));
    },
    'models:setDefault': async ({ id }) => {
      // MODEL_NOT_INSTALLED naming the id; the next run loads the new model.
      await getInstalled(store.dataDir, id);
      store.updateSettings({ defaultModelId: id });
      return null;
    },
    'models:catalog': () => modelJobs.catalog(),
    'models:install': ({ id }) => modelJobs.install(id),
    'models:add': (source) => modelJobs.add(source),
    'models:cancel': async ({ jobId }) => {
      await modelJobs.cancel(jobId);
      return null;
    },
  };

  async function image(ref: ImageRef): Promise<ServedImage> {
    if (ref.kind === 'avatar') {
      runs.avatar(ref.id);
      return { bytes: store.readImage(ref.id), mimeType: 'image/png' };
    }
    const style = styles.styles.find((s) => s.id === ref.id);
    if (!style) throw new ApiError('NOT_FOUND', `No style ${ref.id}.`);
    return {
      bytes: await readFile(style.previewPath),
      mimeType: PREVIEW_TYPES[path.extname(style.previewPath)] ?? 'application/octet-stream',
    };
  }

  let closing: Promise<void> | undefined;
  return {
    handlers: withApiErrors(handlers),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    image: (ref) => withApiError(() => image(ref)),
    receiveModelFile: (jobId, relative, bytes, body) =>
      withApiError(() => modelJobs.receive(jobId, relative, bytes, body)),
    close() {
      closing ??= (async () => {
        await modelJobs.close();
        await runs.close();
        await models.close();
        store.close();
        listeners.clear();
      })();
      return closing;
    },
  };
}

/** The store's settings less the default model, which the api sets through models:setDefault. */
function apiSettings(settings: StoreSettings): Settings {
  const { retentionSeconds, instantMode, dailyRunLimit } = settings;
  return { retentionSeconds, instantMode, dailyRunLimit };
}

/** Every handler rejects with ApiError only, whatever failed beneath it. */
function withApiErrors(handlers: ApiHandlers): ApiHandlers {
  const wrapped: Record<string, (params: unknown) => Promise<unknown>> = {};
  for (const [method, handler] of Object.entries(handlers)) {
    wrapped[method] = (params) =>
      withApiError(() => (handler as (params: unknown) => Promise<unknown>)(params));
  }
  return wrapped as unknown as ApiHandlers;
}

async function withApiError<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw toApiError(error);
  }
}
