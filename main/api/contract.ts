/**
 * The one door between the UI and everything privileged. Both hosts serve exactly this: Electron's
 * preload (IPC) and the loopback host (HTTP on 127.0.0.1). Its imports are types only, of modules
 * that import nothing of Node, so the renderer's compile sees these types and nothing of Node, and
 * its bundle gets no zod.
 *
 * The methods and their params are declared once, in schema.ts; the types here derive from it.
 * The renderer is untrusted: every request is validated at the door (validate.ts), images travel
 * by id, never as paths, and errors cross intact as ApiError.
 */
import type { z } from 'zod';
import type { createBridge } from './bridge.ts';
import type { API, imageRef, modelPick, modelUpload, photo, settings } from './schema.ts';

export type ModelFamily = 'sd15' | 'turbo' | 'lcm';
export type ProviderName = 'cpu' | 'cuda' | 'dml' | 'coreml';

/** A photo as the user picked it: its file name (shown in every message) and its bytes. */
export type PhotoUpload = z.output<typeof photo>;

export type PhotoVerdictCode =
  | 'UNREADABLE'
  | 'NOT_AN_IMAGE'
  | 'TOO_SMALL'
  | 'TOO_LARGE'
  | 'NO_FACE'
  | 'MULTIPLE_FACES'
  | 'FACE_TOO_SMALL'
  | 'EXPLICIT'
  | 'DUPLICATE';

/** One per submitted photo, in order; a refused photo says why, naming it. */
export interface PhotoVerdict {
  name: string;
  ok: boolean;
  code?: PhotoVerdictCode;
  message?: string;
  /** A JPEG to show for a photo whose file the page cannot display itself (HEIC, TIFF). */
  preview?: Uint8Array;
}

export interface IntakeReport {
  verdicts: PhotoVerdict[];
  /** Advice only (e.g. photos that seem to show different people). */
  warnings: { photos: string[]; message: string }[];
  canStart: boolean;
  /** When canStart is false: which photos to replace or remove. */
  startMessage?: string;
}

/** Where an image comes from; the bridge turns it into a URL the page can load. */
export type ImageRef = z.output<typeof imageRef>;

export interface StyleSummary {
  id: string;
  name: string;
  description: string;
  preview: ImageRef;
  /** The LoRA the style runs with, as it stands for the model the next run uses. */
  lora?: StyleLoraSummary;
  /** The words put before the prompt for the LoRA ("clayfig"). Only with a LoRA. */
  triggerWords?: string[];
}

export interface StyleLoraSummary {
  /** The installed LoRA's id, or its file's base name: never a path. */
  name: string;
  /** 1 as trained, 0 none, -4 to 4. */
  scale: number;
  /** False: the style cannot run (nor be chosen) until `reason` is dealt with. */
  available: boolean;
  /** When unavailable: why, in one sentence for the user (with the command that fixes it). */
  reason?: string;
}

export interface ModelSummary {
  id: string;
  name: string;
  family: ModelFamily;
  precision: 'fp32' | 'fp16' | 'int8';
  bytes: number;
  isDefault: boolean;
  /** A doubt about where the weights come from ("no README, no licence stated"), shown beside it. */
  provenance?: string;
}

/** A model the catalogue offers (models/catalog.json), as the model screen lists it. */
export interface CatalogModel {
  id: string;
  name: string;
  family: ModelFamily;
  /** What the download weighs; null where the catalogue leaves the sizes to the publisher's file list, read when the download starts. */
  bytes: number | null;
  /** What the user agrees to by installing it, shown before the download starts. */
  licence: { text: string; url?: string };
  /** Parts installed with it (TAESD), each under its own licence. */
  addons: { name: string; licence: string }[];
  /** A doubt about where the weights come from, shown beside it. */
  provenance?: string;
  installed: boolean;
}

/** How the user picks a model they already have: a .safetensors checkpoint or a model folder. */
export type ModelPick = z.output<typeof modelPick>;

/** The diffusers folder files an upload may hold (configs, tokenizer files, safetensors weights). */
export const MODEL_UPLOAD_EXTENSIONS = ['.json', '.txt', '.safetensors'] as const;

/** A model the page streams to the loopback host (which has no native dialog); see schema.ts. */
export type ModelUpload = z.output<typeof modelUpload>;

export type ModelSource = Params<'models:add'>;

/** A model job in progress: an install from the catalogue, or a model the user added. */
export interface ModelJob {
  jobId: string;
  kind: 'install' | 'add';
  /** The catalogue id being installed. */
  catalogId?: string;
  /** What is being installed: a catalogue model's name, or the picked file's or folder's. */
  name: string;
}

export type ModelJobPhase = 'upload' | 'download' | 'build' | 'check';

export interface ModelProgressEvent {
  jobId: string;
  phase: ModelJobPhase;
  /** What is happening, in words: "Building the UNet (2 of 5)". */
  label: string;
  /** Bytes (upload, download) or components (build) done, of total. */
  done: number;
  total: number;
  /** 0-1, of this phase. */
  fraction: number;
  /** Absent until a rate is measured. */
  etaSeconds?: number;
}

export interface ModelFinishedEvent {
  jobId: string;
  ok: boolean;
  /** The model as installed (the default when it is the first). */
  model?: ModelSummary;
  /** CANCELLED when the user cancelled: nothing was installed. */
  error?: ApiErrorShape;
}

export type Settings = z.output<typeof settings>;

export interface AppStatus {
  /** Null when no model is installed: the UI shows the model screen, not an error. */
  model: ModelSummary | null;
  /** A model being installed or added (the UI reattaches to it after a reload). */
  modelJob: ModelJob | null;
  /** What actually runs the model, and why any GPU provider did not; null until a model loads. */
  device: {
    provider: ProviderName;
    fallbacks: { provider: ProviderName; reason: string }[];
  } | null;
  settings: Settings;
  quota: { used: number; limit: number; nextAllowedAt: number | null };
  /** A run in progress (the UI reattaches to it after a reload). */
  activeRunId: string | null;
  /** That run's latest progress (its counter after a reload); null before its first event. */
  activeRunProgress: RunProgressEvent | null;
  /**
   * Seconds one avatar took in this session's last finished run with the current model (wall
   * time, moderation included): the next run's estimate. Null until a run has measured it.
   */
  secondsPerAvatar: number | null;
}

export type RunRequest = Params<'runs:start'>;

export interface AvatarSummary {
  /** The avatar's image id (ImageRef kind 'avatar'). */
  id: string;
  index: number;
  styleId: string;
  /** The source photo's name. */
  photo: string;
  seed: number;
  /** Likeness to the source photo (face-descriptor distance, smaller is closer); null: no face found. */
  identity: number | null;
}

export type RunPhase = 'loading' | 'intake' | 'generating' | 'done';

export interface RunProgressEvent {
  runId: string;
  phase: RunPhase;
  avatarsDone: number;
  avatarsTotal: number;
  current?: { index: number; step: number; steps: number };
  blocked: number;
  etaSeconds?: number;
}

export interface RunFinishedEvent {
  runId: string;
  cancelled: boolean;
  /** Best likeness first. */
  avatars: AvatarSummary[];
  blocked: number;
  error?: ApiErrorShape;
}

export interface RunCountdown {
  runId: string;
  status: 'running' | 'finished' | 'cancelled' | 'failed' | 'crashed';
  uploads: number;
  avatars: number;
  /** Null while the run is still going. */
  secondsUntilDeletion: number | null;
}

export const EXPORT_SIZES = [256, 512, 1024] as const;
export const EXPORT_FORMATS = ['png', 'jpeg', 'webp'] as const;

export type ExportRequest = Params<'export:avatars'>;

/** One image, or a zip when several were asked for; metadata stripped. */
export interface ExportResult {
  fileName: string;
  mimeType: string;
  bytes: Uint8Array;
}

export type ApiErrorCode =
  | 'BAD_REQUEST'
  /** The loopback host's caller checks: no secret, a foreign Host or Origin, cross-site. */
  | 'FORBIDDEN'
  /** A request larger, or its JSON bigger or deeper, than its method can need. */
  | 'TOO_LARGE'
  | 'NOT_FOUND'
  | 'PHOTOS_REFUSED'
  | 'QUOTA_EXCEEDED'
  | 'NO_MODEL'
  | 'MODEL_INVALID'
  | 'RUN_IN_PROGRESS'
  /** One model job at a time (here, or another process installing the same model). */
  | 'MODEL_JOB_IN_PROGRESS'
  /** A catalogue download failed: offline, a server error, a cut connection. */
  | 'DOWNLOAD_FAILED'
  /** The user cancelled; nothing was kept. */
  | 'CANCELLED'
  | 'STORAGE'
  | 'INTERNAL';

export interface ApiErrorShape {
  code: ApiErrorCode;
  message: string;
  /** PHOTOS_REFUSED: every photo's verdict. */
  verdicts?: PhotoVerdict[];
  /** QUOTA_EXCEEDED: when the next run is allowed (epoch ms). */
  nextAllowedAt?: number;
}

/** A call's answer as it crosses a host's boundary (IPC or HTTP): the result, or the error's shape. */
export type Outcome<T> = { ok: true; result: T } | { ok: false; error: ApiErrorShape };

/** An error as every api call rejects with it, on both hosts. */
export class ApiError extends Error implements ApiErrorShape {
  override readonly name = 'ApiError';
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly details: Pick<ApiErrorShape, 'verdicts' | 'nextAllowedAt'> = {},
  ) {
    super(message);
  }

  get verdicts(): PhotoVerdict[] | undefined {
    return this.details.verdicts;
  }

  get nextAllowedAt(): number | undefined {
    return this.details.nextAllowedAt;
  }

  toJSON(): ApiErrorShape {
    return { code: this.code, message: this.message, ...this.details };
  }
}

/** Every request: its params and its result, as schema.ts declares them. */
export type ApiMethods = {
  [M in keyof typeof API]: {
    params: z.output<(typeof API)[M]['params']>;
    result: z.output<(typeof API)[M]['result']>;
  };
};
export type ApiMethod = keyof ApiMethods;
export type Params<M extends ApiMethod> = ApiMethods[M]['params'];
export type Result<M extends ApiMethod> = ApiMethods[M]['result'];

/** Pushed from the host to the page. */
export interface ApiEvents {
  'run:progress': RunProgressEvent;
  'run:avatar': { runId: string; avatar: AvatarSummary };
  'run:finished': RunFinishedEvent;
  'model:progress': ModelProgressEvent;
  'model:finished': ModelFinishedEvent;
}
export type ApiEvent = keyof ApiEvents;

/** What both hosts implement; validated params in, results out, ApiError on failure. */
export type ApiHandlers = { [M in ApiMethod]: (params: Params<M>) => Promise<Result<M>> };

/**
 * `window.avatarStudio`: one method per request (never a generic send), plus events and image
 * URLs. Built by createBridge (bridge.ts) over whichever transport the host provides; the bridge
 * names each method, so its type is the bridge's.
 */
export type AvatarStudioApi = ReturnType<typeof createBridge>;
