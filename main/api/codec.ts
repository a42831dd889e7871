/**
 * The loopback host's wire format: JSON in which every Uint8Array (photo uploads, exported files)
 * travels as {"$bytes": base64}. Shared by the server (Node) and the page's shim (browser), so it
 * imports nothing and picks Node's Buffer when present, the browser's btoa/atob otherwise.
 */

const BYTES_KEY = '$bytes';

export function encodeJson(value: unknown): string {
  // The holder's raw value, not `value`: JSON.stringify has already turned a Buffer into
  // {type, data} through Buffer#toJSON before a replacer sees it.
  return JSON.stringify(value, function (this: Record<string, unknown>, key: string, json) {
    const raw = this[key];
    return isBytes(raw) ? { [BYTES_KEY]: toBase64(raw) } : json;
  });
}

/** Throws SyntaxError on malformed JSON. */
export function decodeJson(text: string): unknown {
  return JSON.parse(text, (_key, value: unknown) =>
    isEncodedBytes(value) ? fromBase64(value[BYTES_KEY]) : value,
  );
}

/** By tag, not instanceof: bytes made in another realm (a frame, a vm context) count too. */
function isBytes(value: unknown): value is Uint8Array {
  return Object.prototype.toString.call(value) === '[object Uint8Array]';
}

function isEncodedBytes(value: unknown): value is { [BYTES_KEY]: string } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return (
    keys.length === 1 &&
    keys[0] === BYTES_KEY &&
    typeof (value as Record<string, unknown>)[BYTES_KEY] === 'string'
  );
}

/** Node's Buffer where the codec runs in a host (far faster on 30 MB photos); the page has none. */
const Buffer = (
  globalThis as {
    Buffer?: {
      from(
        data: ArrayBufferLike,
        offset: number,
        length: number,
      ): { toString(as: 'base64'): string };
      from(base64: string, as: 'base64'): Uint8Array;
    };
  }
).Buffer;

function toBase64(bytes: Uint8Array): string {
  if (Buffer)
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  // String.fromCharCode takes its arguments on the stack: convert in chunks.
  let binary = '';
  for (let start = 0; start < bytes.length; start += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(start, start + 0x8000));
  }
  return btoa(binary);
}

function fromBase64(base64: string): Uint8Array {
  if (Buffer) {
    const buffer = Buffer.from(base64, 'base64');
    // A plain Uint8Array view: consumers never see Buffer's extra behaviour (toJSON, pooling API).
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  }
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
