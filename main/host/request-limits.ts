/**
 * What one request to the loopback host may weigh, decided before its body is read or parsed.
 *
 * V8 aborts the whole process (no exception to catch) when JSON.parse builds an array of more
 * than ~2^27 elements, and 280 MB of "[0,0,...]" is enough. So a body is capped by what its
 * method can need, and its JSON is scanned for the number of values and the nesting depth before
 * JSON.parse sees it: both caps hold the worst case far below what breaks V8.
 */
import type { ApiMethod } from '../api/contract.ts';
import { DOOR_LIMITS } from '../app/validate.ts';
import { INTAKE_LIMITS } from '../api/intake-limits.ts';

/** Base64 makes 3 bytes 4 characters; the rest of a photo's JSON (its name, keys) is small. */
const base64Length = (bytes: number) => Math.ceil(bytes / 3) * 4;
const SMALL_BODY = 64 * 1024;

/**
 * Photo uploads carry up to maxPhotos photos of maxBytes each (intake names a larger one, so the
 * request still arrives); every other method is a few ids and numbers.
 */
const PHOTO_BODY = INTAKE_LIMITS.maxPhotos * base64Length(INTAKE_LIMITS.maxBytes) + SMALL_BODY;

export const BODY_LIMITS: Readonly<Record<ApiMethod, number>> = {
  'app:status': SMALL_BODY,
  'photos:check': PHOTO_BODY,
  'styles:list': SMALL_BODY,
  'runs:start': PHOTO_BODY,
  'runs:cancel': SMALL_BODY,
  'runs:list': SMALL_BODY,
  'runs:avatars': SMALL_BODY,
  'runs:deleteNow': SMALL_BODY,
  'export:avatars': SMALL_BODY,
  'settings:update': SMALL_BODY,
  'models:list': SMALL_BODY,
  'models:setDefault': SMALL_BODY,
  'models:catalog': SMALL_BODY,
  'models:install': SMALL_BODY,
  // An upload's declaration: up to 64 relative paths and sizes. Its bytes go to their own route.
  'models:add': SMALL_BODY,
  'models:cancel': SMALL_BODY,
};

/**
 * One file of a model the page uploads (upload-route.ts): streamed to disk as it arrives, never
 * parsed or held, so its cap is what a real checkpoint weighs (2-7 GB), with room to spare.
 */
export const MODEL_FILE_BODY = DOOR_LIMITS.modelUploadFileBytes;

/** An unknown method's body is never needed: the door refuses the method by name. */
export function bodyLimit(method: string): number {
  return Object.hasOwn(BODY_LIMITS, method) ? BODY_LIMITS[method as ApiMethod] : SMALL_BODY;
}

/**
 * The most values (numbers, strings, objects, arrays...) and the deepest nesting a request's JSON
 * may hold. The largest honest request is a run of 10 photos (about 40 values) and 30 avatar ids
 * in an export; DOOR_LIMITS.photos bounds the photos a request may name at all.
 */
export const JSON_LIMITS = {
  values: 16 * DOOR_LIMITS.photos + 4 * DOOR_LIMITS.avatars + 256,
  depth: 16,
} as const;

export type JsonShapeFault = 'too-many-values' | 'too-deep';

/**
 * Counts the values and nesting of a JSON body as its chunks arrive, without building anything:
 * commas, colons and opening brackets start a value. String contents are skipped with native
 * indexOf searches (remembered until passed, so the cost stays linear whatever the text), and the
 * 40 MB base64 of a photo costs a few calls. A body that is not JSON at all passes here and fails
 * in JSON.parse, which then runs within these bounds.
 */
export class JsonShapeMeter {
  private values = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;

  constructor(private readonly limits: { values: number; depth: number } = JSON_LIMITS) {}

  /** The first limit the body crosses with this chunk, or null. */
  feed(chunk: Uint8Array): JsonShapeFault | null {
    let nextQuote = -1;
    let nextBackslash = -1;
    let i = 0;
    while (i < chunk.length) {
      if (this.inString) {
        if (this.escaped) {
          this.escaped = false;
          i++;
          continue;
        }
        if (nextQuote !== Infinity && nextQuote < i) nextQuote = find(chunk, QUOTE, i);
        if (nextBackslash !== Infinity && nextBackslash < i)
          nextBackslash = find(chunk, BACKSLASH, i);
        if (nextBackslash < nextQuote) {
          this.escaped = true;
          i = nextBackslash + 1;
        } else if (nextQuote !== Infinity) {
          this.inString = false;
          i = nextQuote + 1;
        } else {
          return null;
        }
        continue;
      }
      const byte = chunk[i++];
      if (byte === QUOTE) {
        this.inString = true;
      } else if (byte === OPEN_BRACKET || byte === OPEN_BRACE) {
        if (++this.depth > this.limits.depth) return 'too-deep';
        if (++this.values > this.limits.values) return 'too-many-values';
      } else if (byte === CLOSE_BRACKET || byte === CLOSE_BRACE) {
        this.depth--;
      } else if (byte === COMMA || byte === COLON) {
        if (++this.values > this.limits.values) return 'too-many-values';
      }
    }
    return null;
  }
}

/** indexOf with "none" as Infinity, so that comparisons between two searches stay plain. */
function find(chunk: Uint8Array, byte: number, from: number): number {
  const at = chunk.indexOf(byte, from);
  return at === -1 ? Infinity : at;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
