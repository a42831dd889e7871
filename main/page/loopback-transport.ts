/**
 * The loopback host's Transport, running in the page: requests are POSTs to /api/<method>,
 * events arrive over one EventSource on /api/events, images load from /image/<kind>/<id>. The
 * page's credential is the HttpOnly cookie the host set on the first load, so nothing here (or
 * in the page) ever handles the secret.
 */
import type { Transport } from '../api/bridge.ts';
import { ApiError, type ApiErrorShape, type ApiEvents } from '../api/contract.ts';
import { decodeJson, encodeJson } from '../api/codec.ts';
import { imagePath } from '../api/image-route.ts';
import { describePicked, pickFiles, sendFiles } from './model-upload.ts';

export function createLoopbackTransport(): Transport {
  let events: EventSource | undefined;
  const transport: Transport = {
    async invoke(method, params) {
      let response: Response;
      try {
        response = await fetch(`/api/${method}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: encodeJson(params),
        });
      } catch (error) {
        throw new ApiError(
          'INTERNAL',
          `Avatar Studio cannot be reached (${String(error)}); is it still running?`,
        );
      }
      return parseReply(response.status, await response.text()) as never;
    },
    subscribe(event, listener) {
      events ??= new EventSource('/api/events');
      // Named SSE events arrive as MessageEvents; the DOM types only promise an Event.
      const deliver = (message: Event) =>
        listener(decodeJson(String((message as MessageEvent).data)) as ApiEvents[typeof event]);
      events.addEventListener(event, deliver);
      return () => events?.removeEventListener(event, deliver);
    },
    imageUrl: imagePath,
    // No native dialog here: the browser's picker, then the files streamed to the host.
    async addModel(pick) {
      const picked = await pickFiles(pick);
      if (!picked) return null;
      const { upload, files } = describePicked(pick, picked);
      const started = await transport.invoke('models:add', { upload });
      if (started) void sendFiles(started.jobId, files);
      return started;
    },
  };
  return transport;
}

/** A reply's result, or the ApiError it carries; anything else (a proxy's page...) is INTERNAL. */
function parseReply(status: number, text: string): unknown {
  let body: unknown;
  try {
    body = decodeJson(text);
  } catch {
    body = undefined;
  }
  if (typeof body === 'object' && body !== null) {
    if (status === 200 && 'result' in body) return body.result;
    if ('error' in body && isErrorShape(body.error)) {
      const { code, message, verdicts, nextAllowedAt } = body.error;
      throw new ApiError(code, message, {
        ...(verdicts && { verdicts }),
        ...(nextAllowedAt !== undefined && { nextAllowedAt }),
      });
    }
  }
  throw new ApiError('INTERNAL', `Avatar Studio sent an unexpected reply (HTTP ${status}).`);
}

function isErrorShape(value: unknown): value is ApiErrorShape {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ApiErrorShape).code === 'string' &&
    typeof (value as ApiErrorShape).message === 'string'
  );
}
