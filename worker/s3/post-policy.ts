/**
 * SigV4 POST policies that let a candidate's browser upload recording chunks straight to S3.
 *
 * Pure apart from a cache of derived signing keys that changes speed, never results: the time comes in as
 * an argument and signing uses WebCrypto only, so the same code runs in workerd, Node 22 and the tests.
 * The document and signature are byte-for-byte those of `@aws-sdk/s3-presigned-post` for the same inputs
 * (test/unit/post-policy.test.ts proves it), because no local S3 enforces POST policies.
 *
 * Format and signing: https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html
 * and https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-authentication-HTTPPOST.html
 */

/** Long-lived IAM user keys, or temporary STS keys with their session token. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** What one upload policy allows. */
export interface PostPolicyInput {
  credentials: AwsCredentials;
  region: string;
  bucket: string;
  /** Where the browser POSTs the form: the bucket's URL, virtual-hosted in AWS or path-style locally. */
  endpoint: string;
  /** Every object the policy admits has a key starting with this (`["starts-with", "$key", keyPrefix]`). */
  keyPrefix: string;
  /** The `key` form field; must start with `keyPrefix`, e.g. `${keyPrefix}${'${filename}'}` for S3 to fill in. */
  key: string;
  /** The only Content-Type the upload may declare. */
  contentType: string;
  /** Largest upload in bytes; the smallest is 1 byte, so an empty chunk is refused by S3. */
  maxBytes: number;
  /** Whole seconds from `now` until S3 stops accepting the policy; 1 to {@link MAX_POLICY_EXPIRY_SECONDS}. */
  expiresInSeconds: number;
  now: Date;
}

/** The product's upload-policy response: the form fields the browser posts as they are, and where. */
export interface PresignedPost {
  url: string;
  postFields: {
    'Content-Type': string;
    acl: 'private';
    key: string;
    policy: string;
    'x-amz-algorithm': 'AWS4-HMAC-SHA256';
    'x-amz-credential': string;
    'x-amz-date': string;
    'x-amz-security-token'?: string;
    'x-amz-signature': string;
  };
}

/** A policy outliving a few chunk uploads only widens what a leaked form allows; browsers fetch a new one. */
export const MAX_POLICY_EXPIRY_SECONDS = 900;

const ALGORITHM = 'AWS4-HMAC-SHA256';
const SERVICE = 's3';
const TERMINATOR = 'aws4_request';
const HMAC_SHA256 = { name: 'HMAC', hash: 'SHA-256' } as const;
const utf8 = new TextEncoder();

/**
 * Builds and signs a POST policy for one browser upload: bucket, key prefix, private ACL, exact
 * Content-Type, size from 1 byte to `maxBytes`, and the SigV4 credential fields.
 *
 * @throws RangeError when `expiresInSeconds` is not a whole number from 1 to 900, `maxBytes` is not a
 *   positive safe integer, `keyPrefix` is empty (the policy would admit any key in the bucket), or `key`
 *   does not start with `keyPrefix` (S3 would refuse every upload), or `now` is an invalid Date.
 */
export async function createPostPolicy(input: PostPolicyInput): Promise<PresignedPost> {
  const { credentials, region, bucket, keyPrefix, key, contentType, maxBytes, expiresInSeconds, now } = input;
  if (
    !Number.isInteger(expiresInSeconds) ||
    expiresInSeconds < 1 ||
    expiresInSeconds > MAX_POLICY_EXPIRY_SECONDS
  ) {
    throw new RangeError(
      `expiresInSeconds must be a whole number from 1 to ${MAX_POLICY_EXPIRY_SECONDS}, got ${expiresInSeconds}`,
    );
  }
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) {
    throw new RangeError(`maxBytes must be a positive integer, got ${maxBytes}`);
  }
  if (keyPrefix === '') {
    throw new RangeError('keyPrefix must not be empty: the policy would admit any key in the bucket');
  }
  if (!key.startsWith(keyPrefix)) {
    throw new RangeError(`key ${JSON.stringify(key)} does not start with ${JSON.stringify(keyPrefix)}`);
  }

  const amzDate = isoSeconds(now).replace(/[-:]/g, '');
  const shortDate = amzDate.slice(0, 8);
  const credential = `${credentials.accessKeyId}/${shortDate}/${region}/${SERVICE}/${TERMINATOR}`;
  // Condition keys are spelled as the AWS SDK spells them so the documents stay byte-equal to its output;
  // S3 matches form field names to condition keys case-insensitively (AWS's own SigV4 POST example signs
  // `x-amz-credential` and posts `X-Amz-Credential`: https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-post-example.html).
  const conditions: unknown[] = [
    { bucket },
    ['starts-with', '$key', keyPrefix],
    { acl: 'private' },
    ['eq', '$Content-Type', contentType],
    ['content-length-range', 1, maxBytes],
    { 'X-Amz-Algorithm': ALGORITHM },
    { 'X-Amz-Credential': credential },
    { 'X-Amz-Date': amzDate },
  ];
  // Like the SDK, an empty token counts as none.
  if (credentials.sessionToken) conditions.push({ 'X-Amz-Security-Token': credentials.sessionToken });
  const expiration = isoSeconds(new Date(now.getTime() + expiresInSeconds * 1000));
  // The string to sign is the base64 of the UTF-8 policy document itself.
  const policy = base64(utf8.encode(JSON.stringify({ expiration, conditions })));

  const signingKey = await signingKeyFor(credentials.secretAccessKey, shortDate, region);
  const signature = await crypto.subtle.sign('HMAC', signingKey, utf8.encode(policy));

  return {
    url: input.endpoint,
    postFields: {
      'Content-Type': contentType,
      acl: 'private',
      key,
      policy,
      'x-amz-algorithm': ALGORITHM,
      'x-amz-credential': credential,
      'x-amz-date': amzDate,
      ...(credentials.sessionToken ? { 'x-amz-security-token': credentials.sessionToken } : {}),
      'x-amz-signature': hex(signature),
    },
  };
}

/**
 * ISO 8601 in whole seconds (`2015-12-29T00:00:00Z`). The SDK drops milliseconds from both the expiration
 * and `x-amz-date`; S3 accepts either form for the expiration.
 */
function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Derived keys by secret, date and region; a Worker signs with one of each, so this turns over daily. */
const signingKeys = new Map<string, CryptoKey>();
/** Only bounds memory for a caller that cycles through many credentials or regions. */
const MAX_SIGNING_KEYS = 16;

/**
 * The SigV4 signing key HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), "s3"), "aws4_request"),
 * imported once for HMAC: four of the five HMACs per signature, and an import, happen once a day.
 * Resolved keys are cached, not promises: workerd cancels continuations of a promise whose creating
 * request has ended, so a promise shared across requests could hang the second one.
 */
async function signingKeyFor(secret: string, shortDate: string, region: string): Promise<CryptoKey> {
  const cacheKey = JSON.stringify([secret, shortDate, region]);
  const cached = signingKeys.get(cacheKey);
  if (cached) return cached;
  let derived: BufferSource = utf8.encode(`AWS4${secret}`);
  for (const part of [shortDate, region, SERVICE, TERMINATOR]) {
    const key = await crypto.subtle.importKey('raw', derived, HMAC_SHA256, false, ['sign']);
    derived = await crypto.subtle.sign('HMAC', key, utf8.encode(part));
  }
  const signingKey = await crypto.subtle.importKey('raw', derived, HMAC_SHA256, false, ['sign']);
  if (signingKeys.size >= MAX_SIGNING_KEYS) {
    // Map iteration follows insertion order, so the first key is the oldest.
    const [oldest] = signingKeys.keys();
    if (oldest !== undefined) signingKeys.delete(oldest);
  }
  signingKeys.set(cacheKey, signingKey);
  return signingKey;
}

function base64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

const HEX_BYTES = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

function hex(buffer: ArrayBuffer): string {
  let out = '';
  for (const byte of new Uint8Array(buffer)) out += HEX_BYTES[byte];
  return out;
}
