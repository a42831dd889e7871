/**
 * What every response to the page carries, on both hosts. The page loads only its own scripts
 * and styles, talks only to its own origin, shows images only from its origin (or blob:/data:
 * URLs it made itself, e.g. previews of picked photos), and cannot be framed.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  // Another local page may embed neither our images nor our scripts (no-cors loads).
  'cross-origin-resource-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
  // Decrypted avatars must not linger in a browser's disk cache after the store deleted them.
  'cache-control': 'no-store',
};
