/**
 * What both hosts (Electron IPC and the loopback host) do with each call from the page: the door
 * of api/validate.ts, then the service, with every failure leaving as an ApiError's shape, so
 * nothing but a typed error (never a stack or a path) reaches the page.
 */
import { ApiError, type ApiErrorCode, type ApiErrorShape, type Outcome } from '../api/contract.ts';
import type { Readable } from 'node:stream';
import { handleRequest, validateImageRef, validateUploadTarget } from '../app/validate.ts';
import type { AppService, ServedImage } from '../app/app-service.ts';

/** `method` and `params` exactly as the untrusted page sent them. */
export function callApi(
  service: AppService,
  method: unknown,
  params: unknown,
): Promise<Outcome<unknown>> {
  return settle(() => handleRequest(service.handlers, method, params));
}

/** `ref` as the page's URL named it (see image-route.ts). */
export function loadImage(service: AppService, ref: unknown): Promise<Outcome<ServedImage>> {
  return settle(() => service.image(validateImageRef(ref)));
}

/** `target` as the page's upload URL named it (see upload-route.ts); `body` is streamed to disk. */
export function storeModelFile(
  service: AppService,
  target: unknown,
  bytes: number,
  body: Readable,
): Promise<Outcome<null>> {
  return settle(async () => {
    const { jobId, path } = validateUploadTarget(target);
    await service.receiveModelFile(jobId, path, bytes, body);
    return null;
  });
}

const HTTP_STATUS: Readonly<Record<ApiErrorCode, number>> = {
  BAD_REQUEST: 400,
  FORBIDDEN: 403,
  TOO_LARGE: 413,
  PHOTOS_REFUSED: 422,
  NOT_FOUND: 404,
  QUOTA_EXCEEDED: 409,
  NO_MODEL: 409,
  MODEL_INVALID: 409,
  RUN_IN_PROGRESS: 409,
  MODEL_JOB_IN_PROGRESS: 409,
  DOWNLOAD_FAILED: 502,
  CANCELLED: 409,
  STORAGE: 500,
  INTERNAL: 500,
};

/** For the hosts that answer in HTTP terms (the loopback host, and app:// for images). */
export function httpStatus(error: ApiErrorShape): number {
  return HTTP_STATUS[error.code] ?? 500;
}

async function settle<T>(work: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, result: await work() };
  } catch (error) {
    return { ok: false, error: errorShape(error) };
  }
}

function errorShape(error: unknown): ApiErrorShape {
  if (error instanceof ApiError) return error.toJSON();
  // Anything else is a bug: its message may hold paths or internals, so it stays in the log.
  console.error('Avatar Studio: unexpected error behind the api:', error);
  return {
    code: 'INTERNAL',
    message: 'Something went wrong inside Avatar Studio; its log has the details.',
  };
}
