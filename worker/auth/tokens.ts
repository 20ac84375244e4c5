/**
 * Stateless, HMAC-SHA256-signed tokens for browsers: a candidate token lets one candidate's browser act on
 * one session (upload policy, clock sync, chunk notices, the recorder's integrity events); a playback
 * token lets a player read one session's processed recording. Neither carries anything a tenant key could
 * be derived from. Format: `<kind>.<base64url(JSON claims)>.<base64url(HMAC)>`. Pure given `now`.
 */
import { z } from 'zod';
import { base64url, fromBase64url } from './secrets.ts';

export const CANDIDATE_SCOPES = ['upload', 'clock', 'chunks', 'events'] as const;
export type CandidateScope = (typeof CANDIDATE_SCOPES)[number];

const Claims = z.strictObject({
  /** Tenant uuid. */
  t: z.uuid(),
  /** Session uuid. */
  s: z.uuid(),
  /** Scopes. */
  sc: z.array(z.string()),
  /** Expiry, Unix seconds. */
  exp: z.int(),
});
export type TokenClaims = z.infer<typeof Claims>;

export type TokenKind = 'ct1' | 'pt1';

/**
 * Imported HMAC keys by secret. Resolved keys are cached, not promises: workerd cancels continuations of a
 * promise whose creating request has ended, so a promise shared across requests could hang a later one.
 */
const keys = new Map<string, CryptoKey>();

async function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = await crypto.subtle.importKey(
      'raw',
      new TextEncoder().encode(secret),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign', 'verify'],
    );
    keys.set(secret, key);
  }
  return key;
}

/** HMAC-SHA256 of `text`, base64url. */
export async function hmac(secret: string, text: string): Promise<string> {
  const signature = await crypto.subtle.sign('HMAC', await hmacKey(secret), new TextEncoder().encode(text));
  return base64url(new Uint8Array(signature));
}

/** Checks an `hmac` signature in constant time. */
export async function hmacMatches(secret: string, text: string, signature: string): Promise<boolean> {
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = fromBase64url(signature);
  } catch {
    return false;
  }
  return crypto.subtle.verify('HMAC', await hmacKey(secret), bytes, new TextEncoder().encode(text));
}

/** Whether `signature` is the `hmac` of `text` under one of `secrets`. */
async function signedWithAny(secrets: readonly string[], text: string, signature: string): Promise<boolean> {
  for (const secret of secrets) if (await hmacMatches(secret, text, signature)) return true;
  return false;
}

/** Signs claims into a token of the given kind (the kind is signed too, so one kind never passes as another). */
export async function signToken(kind: TokenKind, claims: TokenClaims, secret: string): Promise<string> {
  const body = `${kind}.${base64url(new TextEncoder().encode(JSON.stringify(claims)))}`;
  return `${body}.${await hmac(secret, body)}`;
}

export type TokenCheck =
  | { ok: true; claims: TokenClaims }
  | { ok: false; reason: 'malformed' | 'signature' | 'expired' };

/**
 * Verifies a token's kind, signature and expiry at `now`. `secret` is the signing key, or every key a token
 * may be signed with, the current one first: while a key is rotated, the previous one still verifies the
 * tokens it signed.
 */
export async function verifyToken(
  kind: TokenKind,
  token: string,
  secret: string | readonly string[],
  now: Date,
): Promise<TokenCheck> {
  const secrets = typeof secret === 'string' ? [secret] : secret;
  const checkedAs = [kind, ...secrets].join('\n');
  const known = verified.get(token);
  const claims = known?.checkedAs === checkedAs ? known.claims : await verifiedClaims(kind, token, secrets);
  if (!('t' in claims)) return claims;
  if (known?.checkedAs !== checkedAs) remember(token, { claims: Object.freeze(claims), checkedAs });
  if (claims.exp * 1000 <= now.getTime()) return { ok: false, reason: 'expired' };
  return { ok: true, claims };
}

/**
 * Tokens whose signature this isolate has checked, by their whole text, with the kind and keys they were
 * checked as. A candidate's browser presents the same token for every chunk's upload policy and notice, and
 * a player for every segment: decoding, parsing and an HMAC per call were a good part of those calls' CPU.
 * Only a token that matches character for character, as the same kind under the same keys, is taken from here, and its
 * expiry is still checked at every use. Oldest first out past the capacity.
 */
const verified = new Map<string, { claims: Readonly<TokenClaims>; checkedAs: string }>();
const VERIFIED_CAPACITY = 10_000;

function remember(token: string, entry: { claims: Readonly<TokenClaims>; checkedAs: string }) {
  verified.delete(token);
  verified.set(token, entry);
  if (verified.size > VERIFIED_CAPACITY) verified.delete(verified.keys().next().value ?? '');
}

/** A token's claims when its kind, shape and signature hold; its expiry is the caller's to check. */
async function verifiedClaims(
  kind: TokenKind,
  token: string,
  secrets: readonly string[],
): Promise<TokenClaims | Extract<TokenCheck, { ok: false }>> {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== kind) return { ok: false, reason: 'malformed' };
  const [, payload = '', signature = ''] = parts;
  let claims: TokenClaims;
  try {
    const parsed = Claims.safeParse(JSON.parse(new TextDecoder().decode(fromBase64url(payload))));
    if (!parsed.success) return { ok: false, reason: 'malformed' };
    claims = parsed.data;
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (!(await signedWithAny(secrets, `${kind}.${payload}`, signature)))
    return { ok: false, reason: 'signature' };
  return claims;
}
