import type { Readable } from 'node:stream';
import type { ApiEvent, ApiEvents, ApiHandlers, ImageRef, ModelPick } from '../api/contract.ts';
import type { ProviderRequest } from '../engine/onnx/providers.ts';

/** An image as a host serves it: decrypted in memory, never a path. */
export interface ServedImage {
  bytes: Uint8Array;
  mimeType: string;
}

/**
 * The application behind the api: one instance per process, shared by whichever host serves
 * the UI (Electron IPC or the loopback host). Hosts pass requests through app/validate.ts
 * (handleRequest: validated, then `handlers`), push `subscribe`d events to the page, and serve
 * images through `image` (their ids checked by validateImageRef first).
 */
export interface AppService {
  readonly handlers: ApiHandlers;
  subscribe(listener: <E extends ApiEvent>(event: E, payload: ApiEvents[E]) => void): () => void;
  /** NOT_FOUND (ApiError) for an unknown or deleted id. */
  image(ref: ImageRef): Promise<ServedImage>;
  /**
   * One file of a model the page declared with models:add { upload } (the loopback host's upload
   * route; its job id and relative path checked first): streamed into the job's staging folder as
   * it arrives, never held in memory, `bytes` long exactly. ApiError when refused; a failure
   * also ends the job, with the same error in its 'model:finished'.
   */
  receiveModelFile(jobId: string, path: string, bytes: number, body: Readable): Promise<void>;
  close(): Promise<void>;
}

export interface AppServiceOptions {
  /** Default: AVATAR_STUDIO_DATA, else the per-user app data folder. */
  dataDir?: string;
  /** A model folder or installed id to use instead of the default installed model. */
  model?: string;
  /** Where the model runs (default 'auto': the platform's GPU provider, else the CPU). */
  provider?: ProviderRequest;
  /**
   * Avatar side in pixels, a multiple of 8 (default 512). Not the user's to choose (the export
   * sizes are): tests and the e2e suite make small avatars to stay fast.
   */
  size?: number;
  /**
   * The style catalogue (default models/styles.json), for the picker and the runs alike: a test's,
   * with styles that name LoRAs.
   */
  styles?: string;
  /** The model catalogue (default models/catalog.json): a mirror's, or a test server's. */
  catalog?: string;
  /**
   * Electron: opens the native open dialog for a checkpoint or a model folder and returns what
   * was picked (null when the user closed it), so models:add { pick } imports it and no path
   * reaches the page. Hosts without one refuse { pick }.
   */
  pickModel?: (pick: ModelPick) => Promise<string | null>;
  /** The loopback host: the page, which has no dialog, may stream a model (models:add { upload }). */
  modelUploads?: boolean;
  /** Free bytes on the disk holding `dir` (default: statfs); a test fills the disk with it. */
  freeBytes?: (dir: string) => Promise<number>;
}
