import { S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type AwsCredentials,
  createPostPolicy,
  type PostPolicyInput,
  type PresignedPost,
} from '../../worker/s3/post-policy.ts';

// No local S3 enforces POST policies, so the AWS SDK's createPresignedPost is the reference: for the same
// credentials, time, bucket, key and conditions both must produce the same document and signature.

/** Set POST_POLICY_SEED to replay a failing run; every case name carries the seed and its index. */
const SEED = Number(process.env.POST_POLICY_SEED ?? 20260501);
const CASES = 256;

/** mulberry32: small, seedable, and good enough to spread inputs. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const random = prng(SEED);
const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
function pick<T>(items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}
const chars = (alphabet: string, length: number) =>
  Array.from({ length }, () => pick([...alphabet])).join('');

/** The key placeholder S3 fills in with the uploaded file's name; the SDK turns such a key into starts-with. */
const FILENAME = `\${filename}`;
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const BASE64 = `${UPPER}abcdefghijklmnopqrstuvwxyz0123456789+/`;
const REGIONS = [
  'us-east-1',
  'us-west-2',
  'eu-west-1',
  'eu-central-2',
  'ap-south-1',
  'ap-southeast-4',
  'ap-northeast-3',
  'sa-east-1',
  'ca-west-1',
  'me-central-1',
  'il-central-1',
  'mx-central-1',
  'af-south-1',
  'cn-north-1',
  'us-gov-west-1',
] as const;
/** Key segments a tenant or a filename could bring: non-ASCII, JSON escapes, form and URL syntax. */
const SEGMENTS = [
  'proctor',
  'ies',
  '0b6a3c1e-5f7d-4c1a-9b2e-3d4f5a6b7c8d',
  'screenshare',
  'raw',
  'Prüfung',
  'examen-é',
  '試験',
  'экзамен',
  '🎥📹',
  'a b',
  'quote"d',
  'back\\slash',
  '$dollar',
  FILENAME,
  '{braces}',
  '%20',
  'plus+sign',
  'amp&lt;',
  "it's",
  'tab\there',
  'line\u2028sep',
  'ctl\u0007',
  '#?=',
] as const;
const CONTENT_TYPES = [
  'video/webm',
  'video/webm;codecs=vp8,opus',
  'video/webm; codecs="vp9, opus"',
  'video/mp4',
  'video/mp4;codecs=avc1.42E01E,mp4a.40.2',
  'image/jpeg',
  'application/octet-stream',
  'text/plain; charset="utf-8"',
] as const;

/** A few credential sets signed with again and again across days and regions, as a Worker does. */
const CREDENTIAL_POOL = Array.from({ length: 4 }, () => randomCredentials());

function randomCredentials(): AwsCredentials {
  const temporary = random() < 0.5;
  return {
    accessKeyId: `${temporary ? 'ASIA' : 'AKIA'}${chars(`${UPPER}234567`, 16)}`,
    secretAccessKey: chars(BASE64, 40),
    ...(temporary ? { sessionToken: `${chars(BASE64, int(100, 700))}${'='.repeat(int(0, 2))}` } : {}),
  };
}

function randomBucket(): string {
  const alnum = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return `${chars(alnum, 1)}${chars(`${alnum}-`, int(1, 40))}${chars(alnum, 1)}`;
}

/** Any day of 2000–2099; half the times fall within seconds of its UTC midnight, where the signing date changes. */
function randomNow(): Date {
  const day = Date.UTC(int(2000, 2099), 0, 1) + int(0, 365) * 86_400_000;
  if (random() < 0.5) return new Date(day + int(-4000, 4000));
  return new Date(day + int(0, 86_399_999));
}

type Case = Omit<PostPolicyInput, 'endpoint' | 'key'>;

const EDGES: Case[] = [
  { now: new Date('2025-12-31T23:59:59.999Z'), expiresInSeconds: 900, maxBytes: 1 },
  { now: new Date('2028-02-28T23:59:30.500Z'), expiresInSeconds: 60, maxBytes: 5 * 1024 ** 3 },
  { now: new Date('2028-02-29T00:00:00.000Z'), expiresInSeconds: 1, maxBytes: Number.MAX_SAFE_INTEGER },
  // An empty session token is no token, for the SDK as for us.
  { now: new Date('2030-06-30T23:59:59.000Z'), credentials: { ...randomCredentials(), sessionToken: '' } },
].map((edge) => ({
  credentials: randomCredentials(),
  expiresInSeconds: 300,
  maxBytes: 1024,
  region: 'us-east-1',
  bucket: randomBucket(),
  keyPrefix: 'proctor/ies/t/s/screenshare/raw/',
  contentType: 'video/webm',
  ...edge,
}));

const cases: Case[] = [
  ...EDGES,
  ...Array.from({ length: CASES - EDGES.length }, () => ({
    credentials: random() < 0.5 ? pick(CREDENTIAL_POOL) : randomCredentials(),
    region: pick(REGIONS),
    bucket: randomBucket(),
    keyPrefix: `${Array.from({ length: int(1, 6) }, () => pick(SEGMENTS)).join('/')}/`,
    contentType: pick(CONTENT_TYPES),
    maxBytes: pick([1, int(1, 1024), int(1, 5 * 1024 ** 3), Number.MAX_SAFE_INTEGER]),
    expiresInSeconds: pick([1, 900, int(1, 900)]),
    now: randomNow(),
  })),
];

function ours(c: Case): Promise<PresignedPost> {
  return createPostPolicy({
    ...c,
    endpoint: `https://${c.bucket}.s3.${c.region}.amazonaws.com`,
    key: keyOf(c),
  });
}

const keyOf = (c: Case) => `${c.keyPrefix}${FILENAME}`;

/** The SDK's output with the clock pinned at `c.now`; it appends the SigV4 conditions itself. */
async function reference(c: Case) {
  vi.useFakeTimers({ toFake: ['Date'], now: c.now });
  try {
    const client = new S3Client({ region: c.region, credentials: c.credentials });
    return await createPresignedPost(client, {
      Bucket: c.bucket,
      Key: keyOf(c),
      Expires: c.expiresInSeconds,
      Conditions: [
        { bucket: c.bucket },
        ['starts-with', '$key', c.keyPrefix],
        { acl: 'private' },
        ['eq', '$Content-Type', c.contentType],
        ['content-length-range', 1, c.maxBytes],
      ],
    });
  } finally {
    vi.useRealTimers();
  }
}

/** `{field: value}` or `[operator, "$field" or a bound, value or a bound]`. */
type Condition = Record<string, string> | [string, string | number, string | number];

interface PolicyDocument {
  expiration: string;
  conditions: Condition[];
}

const decode = (policy: string): PolicyDocument => JSON.parse(Buffer.from(policy, 'base64').toString('utf8'));

/**
 * What S3 would object to in a form posted with these fields and a file of `size` bytes: each condition
 * must hold, and every field but `policy` and `x-amz-signature` must be named by a condition; field names
 * compare case-insensitively (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html).
 */
function policyViolations(fields: Record<string, string>, bucket: string, size: number): string[] {
  const form = new Map(Object.entries(fields).map(([name, value]) => [name.toLowerCase(), value]));
  form.set('bucket', bucket);
  const named = new Set(['policy', 'x-amz-signature']);
  const violations: string[] = [];
  const policy = form.get('policy');
  if (policy === undefined) return ['no policy field'];
  for (const condition of decode(policy).conditions) {
    const text = JSON.stringify(condition);
    if (Array.isArray(condition) && condition[0] === 'content-length-range') {
      const [, min, max] = condition;
      if (size < Number(min) || size > Number(max)) violations.push(`${size} bytes outside ${text}`);
      continue;
    }
    const [operator, field, value] = Array.isArray(condition)
      ? [condition[0], String(condition[1]).replace(/^\$/, ''), String(condition[2])]
      : ['eq', ...(Object.entries(condition).flat() as [string, string])];
    const name = field.toLowerCase();
    named.add(name);
    const actual = form.get(name);
    const holds = operator === 'starts-with' ? actual?.startsWith(value) : actual === value;
    if (!holds) violations.push(`${name}=${JSON.stringify(actual)} fails ${text}`);
  }
  for (const name of form.keys()) if (!named.has(name)) violations.push(`${name} is named by no condition`);
  return violations;
}

const utcDate = (d: Date) =>
  `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}`;
const utcTime = (d: Date) =>
  [d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()].map((n) => String(n).padStart(2, '0')).join('');

describe(`createPostPolicy against @aws-sdk/s3-presigned-post (POST_POLICY_SEED=${SEED})`, () => {
  it.for(cases.map((c, index) => ({ c, index })))('case $index', async ({ c }) => {
    const mine = await ours(c);
    const sdk = await reference(c);

    expect(decode(mine.postFields.policy)).toEqual(decode(sdk.fields.Policy as string));
    expect(mine.postFields.policy).toBe(sdk.fields.Policy);
    expect(mine.postFields['x-amz-signature']).toBe(sdk.fields['X-Amz-Signature']);
    expect(mine.postFields['x-amz-credential']).toBe(sdk.fields['X-Amz-Credential']);
    expect(mine.postFields['x-amz-date']).toBe(sdk.fields['X-Amz-Date']);
    expect(mine.postFields['x-amz-security-token']).toBe(sdk.fields['X-Amz-Security-Token']);
    expect(mine.postFields.key).toBe(sdk.fields.key);
  });

  it.for(cases.map((c, index) => ({ c, index })))('case $index, condition by condition', async ({ c }) => {
    const { url, postFields } = await ours(c);
    const { expiration, conditions } = decode(postFields.policy);
    const signedAt = Math.floor(c.now.getTime() / 1000) * 1000;
    const amzDate = `${utcDate(c.now)}T${utcTime(c.now)}Z`;
    const credential = `${c.credentials.accessKeyId}/${utcDate(c.now)}/${c.region}/s3/aws4_request`;

    expect(url).toBe(`https://${c.bucket}.s3.${c.region}.amazonaws.com`);
    expect(Date.parse(expiration)).toBe(signedAt + c.expiresInSeconds * 1000);
    expect(expiration).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(conditions).toEqual([
      { bucket: c.bucket },
      ['starts-with', '$key', c.keyPrefix],
      { acl: 'private' },
      ['eq', '$Content-Type', c.contentType],
      ['content-length-range', 1, c.maxBytes],
      { 'X-Amz-Algorithm': 'AWS4-HMAC-SHA256' },
      { 'X-Amz-Credential': credential },
      { 'X-Amz-Date': amzDate },
      ...(c.credentials.sessionToken ? [{ 'X-Amz-Security-Token': c.credentials.sessionToken }] : []),
    ]);
    expect(postFields).toEqual({
      'Content-Type': c.contentType,
      acl: 'private',
      key: keyOf(c),
      policy: postFields.policy,
      'x-amz-algorithm': 'AWS4-HMAC-SHA256',
      'x-amz-credential': credential,
      'x-amz-date': amzDate,
      ...(c.credentials.sessionToken ? { 'x-amz-security-token': c.credentials.sessionToken } : {}),
      'x-amz-signature': postFields['x-amz-signature'],
    });
    expect(postFields['x-amz-signature']).toMatch(/^[0-9a-f]{64}$/);
    expect(policyViolations(postFields, c.bucket, 1)).toEqual([]);
    expect(policyViolations(postFields, c.bucket, c.maxBytes)).toEqual([]);
  });
});

describe('createPostPolicy', () => {
  const chunkPrefix =
    'proctor/ies/0b6a3c1e-5f7d-4c1a-9b2e-3d4f5a6b7c8d/9f8e7d6c-5b4a-4321-8fed-cba987654321/screenshare/raw/';
  const input: PostPolicyInput = {
    credentials: {
      accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    },
    region: 'us-east-1',
    bucket: 'ies-recordings',
    endpoint: 'http://127.0.0.1:4566/ies-recordings',
    keyPrefix: chunkPrefix,
    key: `${chunkPrefix}000042-1764158400123-5012.webm`,
    contentType: 'video/webm',
    maxBytes: 100 * 1024 * 1024,
    expiresInSeconds: 600,
    now: new Date('2025-11-26T12:00:00.123Z'),
  };

  afterEach(() => {
    vi.useRealTimers();
  });

  it('signs a chunk upload with an exact key, for a path-style local endpoint, without a session token', async () => {
    const { url, postFields } = await createPostPolicy(input);
    expect(url).toBe('http://127.0.0.1:4566/ies-recordings');
    expect(Object.keys(postFields)).toEqual([
      'Content-Type',
      'acl',
      'key',
      'policy',
      'x-amz-algorithm',
      'x-amz-credential',
      'x-amz-date',
      'x-amz-signature',
    ]);
    expect(postFields['x-amz-credential']).toBe('AKIAIOSFODNN7EXAMPLE/20251126/us-east-1/s3/aws4_request');
    expect(postFields['x-amz-date']).toBe('20251126T120000Z');
    expect(decode(postFields.policy).expiration).toBe('2025-11-26T12:10:00Z');
    expect(policyViolations(postFields, input.bucket, 5_000_000)).toEqual([]);
  });

  it('gives a form S3 refuses once the key, type, size, bucket or fields leave the policy', async () => {
    const { postFields } = await createPostPolicy(input);
    expect(
      policyViolations({ ...postFields, key: 'proctor/ies/other-tenant/x.webm' }, input.bucket, 1),
    ).toHaveLength(1);
    expect(policyViolations({ ...postFields, 'Content-Type': 'text/html' }, input.bucket, 1)).toHaveLength(1);
    expect(policyViolations({ ...postFields, acl: 'public-read' }, input.bucket, 1)).toHaveLength(1);
    expect(policyViolations(postFields, 'another-bucket', 1)).toHaveLength(1);
    expect(policyViolations(postFields, input.bucket, 0)).toHaveLength(1);
    expect(policyViolations(postFields, input.bucket, input.maxBytes + 1)).toHaveLength(1);
    expect(policyViolations({ ...postFields, 'x-amz-meta-note': 'x' }, input.bucket, 1)).toEqual([
      'x-amz-meta-note is named by no condition',
    ]);
  });

  it('is deterministic: the same input signs the same, before and after its cached key is evicted', async () => {
    const first = await createPostPolicy(input);
    for (let i = 0; i < 40; i++) {
      await createPostPolicy({
        ...input,
        credentials: { ...input.credentials, secretAccessKey: `other-${i}` },
      });
    }
    expect(await createPostPolicy(input)).toEqual(first);
    expect(await createPostPolicy({ ...input })).toEqual(first);
  });

  it('does not read the clock', async () => {
    const first = await createPostPolicy(input);
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2031-01-01T00:00:00Z') });
    expect(await createPostPolicy(input)).toEqual(first);
  });

  it('accepts expiries of 1 and 900 seconds', async () => {
    for (const expiresInSeconds of [1, 900]) {
      const { postFields } = await createPostPolicy({ ...input, expiresInSeconds });
      expect(Date.parse(decode(postFields.policy).expiration)).toBe(
        Date.parse('2025-11-26T12:00:00Z') + expiresInSeconds * 1000,
      );
    }
  });

  it.for([901, 3600, 0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])(
    'refuses an expiry of %s seconds',
    async (expiresInSeconds) => {
      await expect(createPostPolicy({ ...input, expiresInSeconds })).rejects.toThrow(RangeError);
    },
  );

  it.for([0, -1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1])(
    'refuses maxBytes of %s',
    async (maxBytes) => {
      await expect(createPostPolicy({ ...input, maxBytes })).rejects.toThrow(RangeError);
    },
  );

  it('refuses an empty key prefix, which would admit any key in the bucket', async () => {
    await expect(createPostPolicy({ ...input, keyPrefix: '', key: 'anything' })).rejects.toThrow(RangeError);
  });

  it('refuses a key outside the key prefix, which S3 would always reject', async () => {
    await expect(createPostPolicy({ ...input, key: 'proctor/ies/x.webm' })).rejects.toThrow(
      /does not start with/,
    );
  });

  it('refuses an invalid time', async () => {
    await expect(createPostPolicy({ ...input, now: new Date(Number.NaN) })).rejects.toThrow(RangeError);
  });
});
