/**
 * A webhook's signing secret and its signatures, with WebCrypto only (workerd and Node alike).
 *
 * The Worker must sign every delivery with the endpoint's secret, so the secret is kept recoverable:
 * encrypted at rest with AES-256-GCM under a key derived (HKDF-SHA256) from the `WEBHOOK_SECRET_KEY`
 * Worker secret, a fresh 96-bit IV per secret, and the tenant and endpoint ids as additional data, so a
 * ciphertext copied to another row does not decrypt. Stored as `v1.<iv>.<ciphertext>` (base64url).
 * Signatures follow Stripe's scheme (https://docs.stripe.com/webhooks#verify-manually):
 * `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
 */
import { base64url, fromBase64url } from '../auth/secrets.ts';

/** Secrets look like `whsec_` + 43 base64url characters (256 random bits). */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';
const CIPHERTEXT_VERSION = 'v1';
const encoder = new TextEncoder();

export function generateWebhookSecret(): string {
  return WEBHOOK_SECRET_PREFIX + base64url(crypto.getRandomValues(new Uint8Array(32)));
}

/**
 * Derived keys by master secret. Resolved keys are cached, not promises: workerd cancels continuations of
 * a promise whose creating request has ended, so a promise shared across requests could hang a later one
 * (and a rejected one would stay cached).
 */
const keys = new Map<string, CryptoKey>();

/** The AES-GCM key derived from the master secret, once per isolate. */
async function encryptionKey(masterSecret: string): Promise<CryptoKey> {
  const cached = keys.get(masterSecret);
  if (cached) return cached;
  const material = await crypto.subtle.importKey('raw', encoder.encode(masterSecret), 'HKDF', false, [
    'deriveKey',
  ]);
  const key = await crypto.subtle.deriveKey(
    {
      name: 'HKDF',
      hash: 'SHA-256',
      salt: new Uint8Array(0),
      info: encoder.encode('ies webhook secrets v1'),
    },
    material,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
  keys.set(masterSecret, key);
  return key;
}

const additionalData = (owner: { tenantUuid: string; endpointUuid: string }) =>
  encoder.encode(`${owner.tenantUuid}/${owner.endpointUuid}`);

/** Encrypts an endpoint's secret for storage. */
export async function encryptSecret(
  masterSecret: string,
  owner: { tenantUuid: string; endpointUuid: string },
  secret: string,
): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: additionalData(owner) },
    await encryptionKey(masterSecret),
    encoder.encode(secret),
  );
  return [CIPHERTEXT_VERSION, base64url(iv), base64url(new Uint8Array(sealed))].join('.');
}

/** The secret `encryptSecret` stored. @throws when the ciphertext is not this owner's or not ours */
export async function decryptSecret(
  masterSecret: string,
  owner: { tenantUuid: string; endpointUuid: string },
  stored: string,
): Promise<string> {
  const [version, iv, sealed] = stored.split('.');
  if (version !== CIPHERTEXT_VERSION || !iv || !sealed) throw new Error('not a stored webhook secret');
  const plain = await crypto.subtle.decrypt(
    { name: 'AES-GCM', iv: fromBase64url(iv), additionalData: additionalData(owner) },
    await encryptionKey(masterSecret),
    fromBase64url(sealed),
  );
  return new TextDecoder().decode(plain);
}

/** The `IES-Signature` value of `body` sent at `unixSeconds`. */
export async function signatureHeader(secret: string, unixSeconds: number, body: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    'raw',
    encoder.encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(`${unixSeconds}.${body}`)));
  const hex = Array.from(mac, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `t=${unixSeconds},v1=${hex}`;
}
