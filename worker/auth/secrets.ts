/**
 * Key material: API keys, their hashes, and constant-time comparison. WebCrypto only, so it runs in
 * workerd and in Node alike.
 */

/** API keys start with this so they are recognisable in logs and by secret scanners. */
export const API_KEY_PREFIX = 'ies_';
const API_KEY_RANDOM_BYTES = 32;
/** How much of a key is kept in clear (`key_prefix`) to tell keys apart: the prefix and 8 characters. */
const VISIBLE_LENGTH = API_KEY_PREFIX.length + 8;

export function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** Each ASCII code's 6-bit value in base64url, -1 for a character outside the alphabet. */
const BASE64URL_VALUES = Int8Array.from({ length: 128 }, (_, code) =>
  BASE64URL_ALPHABET.indexOf(String.fromCharCode(code)),
);

/**
 * Decodes canonical base64url only (RFC 4648 §5, unpadded; §3.5, unused trailing bits zero), else throws.
 * `atob` alone also takes padding, the `+/` alphabet and a last character whose unused bits differ, so one
 * signed token would have many spellings, each of which verified. Decoded in one pass over the text: a
 * browser's upload-policy call verifies a token on every chunk, and decoding through `atob` and encoding
 * again to compare was a measurable part of that call's CPU time.
 */
export function fromBase64url(text: string): Uint8Array<ArrayBuffer> {
  // Four characters carry three bytes; a last group of one character cannot carry a whole byte.
  if (text.length % 4 === 1) throw new TypeError('not base64url');
  const bytes = new Uint8Array((text.length * 3) >> 2);
  let pending = 0;
  let pendingBits = 0;
  let written = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const value = code < 128 ? (BASE64URL_VALUES[code] ?? -1) : -1;
    if (value < 0) throw new TypeError('not base64url');
    pending = (pending << 6) | value;
    pendingBits += 6;
    if (pendingBits >= 8) {
      pendingBits -= 8;
      bytes[written++] = pending >> pendingBits;
      pending &= (1 << pendingBits) - 1;
    }
  }
  if (pending !== 0) throw new TypeError('not canonical base64url');
  return bytes;
}

/** A new API key: 256 random bits behind the `ies_` prefix, with the visible part kept for listings. */
export function generateApiKey(): { key: string; visiblePrefix: string } {
  const key = API_KEY_PREFIX + base64url(crypto.getRandomValues(new Uint8Array(API_KEY_RANDOM_BYTES)));
  return { key, visiblePrefix: key.slice(0, VISIBLE_LENGTH) };
}

export async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** Compares two secrets in time independent of where they differ (both are hashed to equal length first). */
export async function secretsEqual(given: string, expected: string): Promise<boolean> {
  const encoder = new TextEncoder();
  const [a, b] = await Promise.all([
    crypto.subtle.digest('SHA-256', encoder.encode(given)),
    crypto.subtle.digest('SHA-256', encoder.encode(expected)),
  ]);
  const left = new Uint8Array(a);
  const right = new Uint8Array(b);
  let difference = 0;
  for (let i = 0; i < left.length; i++) difference |= (left[i] ?? 0) ^ (right[i] ?? 0);
  return difference === 0;
}
