/**
 * The api, once: every method with the params the page may send (the door, validate.ts, checks
 * them) and the result it answers with. contract.ts derives the api's types from here, Electron
 * its IPC channels, the door its checks; adding a method is an entry here and its handler.
 *
 * Params come from the untrusted page, so each is a schema that rebuilds them; results come from
 * our own code, so each is only a type.
 */
import { z } from 'zod';
import {
  EXPORT_FORMATS,
  EXPORT_SIZES,
  type AppStatus,
  type AvatarSummary,
  type CatalogModel,
  type ExportResult,
  type IntakeReport,
  type ModelSummary,
  type RunCountdown,
  type Settings,
  type StyleSummary,
} from './contract.ts';
import { DOOR_LIMITS } from './door-limits.ts';
import {
  boolean,
  bytes,
  either,
  fileName,
  id,
  integer,
  list,
  object,
  oneOf,
  uploadPath,
} from './fields.ts';
import { LIMITS } from './limits.ts';

/** A photo as the user picked it: its file name (shown in every message) and its bytes. */
export const photo = object({ name: fileName, bytes: bytes(DOOR_LIMITS.photoBytes) });
const photos = list(photo, { min: 0, max: DOOR_LIMITS.photos });

/** Where an image comes from; the bridge turns it into a URL the page can load. */
export const imageRef = object({ kind: oneOf(['avatar', 'style']), id });

/** An upload URL's parts: a model file the page streams to the loopback host. */
export const uploadTarget = object({ jobId: id, path: uploadPath });

/** The settings the page shows; settings:update changes any of them. */
export const settings = z.object({
  /** Seconds from a run's end to the deletion of its images. */
  retentionSeconds: integer(LIMITS.retentionSeconds),
  /** Delete uploads the moment the last avatar is generated. */
  instantMode: boolean,
  /** Generation runs per local calendar day. */
  dailyRunLimit: integer(LIMITS.dailyRunLimit),
});

/** How the user picks a model they already have: a .safetensors checkpoint or a model folder. */
export const modelPick = oneOf(['file', 'folder']);

/**
 * A model the page streams to the loopback host, which has no native dialog: the page picks it,
 * declares its files here, then sends each one to /upload/model/<jobId>/<path>. Electron's main
 * process opens its own dialog instead ({ pick }), so there no path or byte leaves the page.
 */
export const modelUpload = object({
  /** The picked file's or folder's name as the user sees it (never a path): names the model. */
  name: fileName,
  /** 'checkpoint': one .safetensors file; 'folder': a diffusers folder's files. */
  kind: oneOf(['checkpoint', 'folder']),
  /** Relative paths ('unet/config.json'), each with its exact size. */
  files: list(
    object({ path: uploadPath, bytes: integer({ min: 0, max: DOOR_LIMITS.modelUploadFileBytes }) }),
    { min: 1, max: DOOR_LIMITS.modelUploadFiles },
  ),
});

/** A result: typed, never checked (our own code produces it). */
const returns = <T>() => z.custom<T>();

const none = object({});

/** Every request: its params and its result. The channel name is the key. */
export const API = {
  'app:status': { params: none, result: returns<AppStatus>() },
  'photos:check': { params: object({ photos }), result: returns<IntakeReport>() },
  'styles:list': { params: none, result: returns<StyleSummary[]>() },
  'runs:start': {
    params: object({
      photos,
      styleIds: list(id, LIMITS.styles),
      count: integer(LIMITS.avatars),
    }),
    result: returns<{ runId: string }>(),
  },
  'runs:cancel': { params: object({ runId: id }), result: returns<null>() },
  'runs:list': { params: none, result: returns<RunCountdown[]>() },
  'runs:avatars': { params: object({ runId: id }), result: returns<AvatarSummary[]>() },
  /** Without a runId: every run. */
  'runs:deleteNow': {
    params: object({ runId: id.optional() }),
    result: returns<{ runs: number; files: number }>(),
  },
  'export:avatars': {
    params: object({
      avatarIds: list(id, { min: 1, max: DOOR_LIMITS.avatars }),
      size: oneOf(EXPORT_SIZES),
      format: oneOf(EXPORT_FORMATS),
      /** Circular crop with transparent corners (PNG and WebP; JPEG gets a white background). */
      circle: boolean,
    }),
    result: returns<ExportResult>(),
  },
  'settings:update': { params: object(settings.partial().shape), result: returns<Settings>() },
  'models:list': { params: none, result: returns<ModelSummary[]>() },
  'models:setDefault': { params: object({ id }), result: returns<null>() },
  'models:catalog': { params: none, result: returns<CatalogModel[]>() },
  'models:install': { params: object({ id }), result: returns<{ jobId: string }>() },
  /** A pick (Electron) or an upload (the loopback host). Null: the user closed the dialog. */
  'models:add': {
    params: either('pick', object({ pick: modelPick }), object({ upload: modelUpload })),
    result: returns<{ jobId: string } | null>(),
  },
  'models:cancel': { params: object({ jobId: id }), result: returns<null>() },
} satisfies Record<string, { params: z.ZodTypeAny; result: z.ZodTypeAny }>;

export const API_METHODS = Object.keys(API) as (keyof typeof API)[];
