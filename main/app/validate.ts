/**
 * The door: every request from the page passes here before a handler sees it, on both hosts.
 * The renderer is untrusted, so a request is rebuilt by its method's schema (schema.ts), never
 * passed through: an unknown method, a field of the wrong type, an extra field, a number out of
 * range or an id that could be a path is refused with BAD_REQUEST naming the field.
 *
 * Product rules that deserve a better message stay with the code that owns them: intake names a
 * photo that is too large or one too many, the style catalogue names an unknown style.
 */
import type { z } from 'zod';
import {
  ApiError,
  type ApiHandlers,
  type ApiMethod,
  type ImageRef,
  type Params,
} from '../api/contract.ts';
import { fieldName } from '../api/fields.ts';
import { API, imageRef, uploadTarget } from '../api/schema.ts';

export { DOOR_LIMITS, isModelUploadPath } from '../api/door-limits.ts';

/** A request that passed the door: its method and its params agree. */
export type ValidRequest = { [M in ApiMethod]: { method: M; params: Params<M> } }[ApiMethod];

/** The value as the schema rebuilds it; else ApiError BAD_REQUEST naming the first bad field. */
function parse<T extends z.ZodTypeAny>(schema: T, value: unknown, root: string): z.output<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  // A failed parse has at least one issue; the first is the one the page fixes first.
  const issue = parsed.error.issues[0]!;
  const field = fieldName(issue.path, root);
  // .strict() reports the extra fields on the object they are in: name the first itself.
  const message =
    issue.code === 'unrecognized_keys'
      ? `${field}.${issue.keys[0]} is not a field of this request`
      : `${field} ${issue.message}`;
  throw new ApiError('BAD_REQUEST', message);
}

function isMethod(value: unknown): value is ApiMethod {
  return typeof value === 'string' && Object.hasOwn(API, value);
}

/** The request rebuilt from what the schema allows; ApiError BAD_REQUEST naming the field. */
export function validateRequest(method: unknown, params: unknown): ValidRequest {
  if (!isMethod(method)) {
    const shown =
      typeof method === 'string' ? JSON.stringify(method.slice(0, 60)) : `(a ${typeof method})`;
    throw new ApiError('BAD_REQUEST', `unknown method ${shown}`);
  }
  const schema: z.ZodTypeAny = API[method].params;
  return { method, params: parse(schema, params, 'params') } as ValidRequest;
}

/** What both hosts do with a request: validate it, then call the one handler it names. */
export async function handleRequest(
  handlers: ApiHandlers,
  method: unknown,
  params: unknown,
): Promise<unknown> {
  const request = validateRequest(method, params);
  // The compiler cannot pair a union's method with its params; validateRequest did.
  const handler = handlers[request.method] as (params: unknown) => Promise<unknown>;
  return handler(request.params);
}

/** An upload URL's parts (a model file the page streams), checked like any request. */
export function validateUploadTarget(value: unknown): { jobId: string; path: string } {
  return parse(uploadTarget, value, 'upload');
}

/** An image URL's parts, checked like any request: ids only, never a path. */
export function validateImageRef(value: unknown): ImageRef {
  return parse(imageRef, value, 'image');
}
