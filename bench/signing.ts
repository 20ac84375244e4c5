/**
 * POST-policy signing rate: `createPostPolicy` inside workerd against `@aws-sdk/s3-presigned-post`'s
 * `createPresignedPost` in Node, same run, same policy document. `node bench/signing.ts` prints one JSON
 * line `{workerdPerSec, sdkPerSec, ratio}`; the edge benchmark imports {@link measureSigningRates}.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { build } from 'esbuild';
import { Miniflare, supportedCompatibilityDate } from 'miniflare';
import { createPostPolicy } from '../worker/s3/post-policy.ts';
import type { SigningRequest } from './signing-worker.ts';

/** Policies signed per second (medians over the rounds) and ours divided by the SDK's. */
export interface SigningRates {
  workerdPerSec: number;
  sdkPerSec: number;
  ratio: number;
}

export interface SigningBenchOptions {
  /** Signatures per timed round on each side. */
  iterations?: number;
  /** Timed rounds per side, after one untimed warm-up round each; the median is reported. */
  rounds?: number;
}

const KEY_PREFIX =
  'proctor/ies/0b6a3c1e-5f7d-4c1a-9b2e-3d4f5a6b7c8d/9f8e7d6c-5b4a-4321-8fed-cba987654321/screenshare/raw/';

/** A chunk upload policy as the Worker signs one, with temporary credentials (the longest document). */
const INPUT = {
  credentials: {
    accessKeyId: 'ASIAIOSFODNN7EXAMPLE',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    sessionToken: `IQoJb3JpZ2luX2VjE${'A'.repeat(600)}==`,
  },
  region: 'us-east-1',
  bucket: 'ies-recordings',
  endpoint: 'https://ies-recordings.s3.us-east-1.amazonaws.com',
  keyPrefix: KEY_PREFIX,
  key: `${KEY_PREFIX}\${filename}`,
  contentType: 'video/webm',
  maxBytes: 100 * 1024 * 1024,
  expiresInSeconds: 600,
} satisfies Omit<SigningRequest['input'], 'now'>;

/**
 * Measures both signing rates in this process and one workerd (Miniflare) process.
 *
 * workerd moves `Date.now()` and `performance.now()` on only at I/O, against timing attacks
 * (https://developers.cloudflare.com/workers/reference/security-model/), so a Worker timing its own loop
 * of WebCrypto calls sees a fraction of the real time (16 ms of about 140 ms when tried here). The clock
 * is Node's instead: each round times a request that makes the Worker sign `iterations` policies and
 * subtracts a request that signs none, which leaves the signing without the request's own cost.
 */
export async function measureSigningRates({
  iterations = 10_000,
  rounds = 7,
}: SigningBenchOptions = {}): Promise<SigningRates> {
  const now = new Date();
  const expected = (await createPostPolicy({ ...INPUT, now })).postFields['x-amz-signature'];
  // The newest date this workerd knows; a later one, such as wrangler.toml's, would not start it.
  const mf = new Miniflare({
    modules: true,
    script: await bundleWorker(),
    compatibilityDate: supportedCompatibilityDate,
  });
  try {
    const signInWorkerd = async (count: number): Promise<number> => {
      const body: SigningRequest = { iterations: count, input: { ...INPUT, now: now.toISOString() } };
      const started = performance.now();
      const response = await mf.dispatchFetch('http://bench.local/', {
        method: 'POST',
        body: JSON.stringify(body),
      });
      const signature = await response.text();
      const elapsed = performance.now() - started;
      if (!response.ok) throw new Error(`signing Worker answered ${response.status}: ${signature}`);
      if (count > 0 && signature !== expected) throw new Error('workerd signed differently from Node');
      return elapsed;
    };

    const client = new S3Client({ region: INPUT.region, credentials: INPUT.credentials });
    // The same conditions as ours; the SDK appends the SigV4 ones, so both sign the same document.
    const params = {
      Bucket: INPUT.bucket,
      Key: INPUT.key,
      Expires: INPUT.expiresInSeconds,
      Conditions: [
        { bucket: INPUT.bucket },
        ['starts-with', '$key', INPUT.keyPrefix],
        { acl: 'private' },
        ['eq', '$Content-Type', INPUT.contentType],
        ['content-length-range', 1, INPUT.maxBytes],
      ],
    } as const satisfies Parameters<typeof createPresignedPost>[1];
    const signWithSdk = async (count: number): Promise<number> => {
      const started = performance.now();
      for (let i = 0; i < count; i++) await createPresignedPost(client, params);
      return performance.now() - started;
    };

    await signInWorkerd(iterations);
    await signWithSdk(iterations);
    const workerdRates: number[] = [];
    const sdkRates: number[] = [];
    // Rounds alternate sides so a noisy neighbour on the machine slows both alike.
    for (let round = 0; round < rounds; round++) {
      const baseline = await signInWorkerd(0);
      workerdRates.push(perSecond(iterations, (await signInWorkerd(iterations)) - baseline));
      sdkRates.push(perSecond(iterations, await signWithSdk(iterations)));
    }
    const workerdPerSec = median(workerdRates);
    const sdkPerSec = median(sdkRates);
    return {
      workerdPerSec: Math.round(workerdPerSec),
      sdkPerSec: Math.round(sdkPerSec),
      ratio: Math.round((workerdPerSec / sdkPerSec) * 100) / 100,
    };
  } finally {
    await mf.dispose();
  }
}

/** The signing Worker and the module it imports, as one ES module for workerd. */
async function bundleWorker(): Promise<string> {
  const { outputFiles } = await build({
    entryPoints: [`${import.meta.dirname}/signing-worker.ts`],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    write: false,
    logLevel: 'silent',
  });
  const [bundle] = outputFiles;
  if (!bundle) throw new Error('esbuild produced no signing Worker bundle');
  return bundle.text;
}

const perSecond = (count: number, elapsedMs: number) => (count * 1000) / elapsedMs;

/** The middle value; the upper of the two middle ones for an even count. */
function median(values: number[]): number {
  return values.toSorted((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
}

if (import.meta.main) console.log(JSON.stringify(await measureSigningRates()));
