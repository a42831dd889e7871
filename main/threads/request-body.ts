/**
 * A request to a worker thread as its client's callers write it: each member of the union
 * without the `id` the client adds to pair the reply with the call.
 */
export type RequestBody<Request extends { id: number }> = Request extends unknown
  ? Omit<Request, 'id'>
  : never;
