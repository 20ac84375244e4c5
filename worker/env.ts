/**
 * The Worker's configuration: wrangler `vars`, secrets and bindings, parsed once per isolate with zod so a
 * missing or malformed variable fails loudly with its name instead of surfacing as a wrong request later.
 */
import { AwsClient } from 'aws4fetch';
import { z } from 'zod';
import type { SessionClock } from './clock/session-clock.ts';
import type { WebhookDispatcher } from './webhooks/dispatcher.ts';

/** Bindings exactly as workerd hands them to `fetch`. */
export interface Bindings {
  SESSION_CLOCK: DurableObjectNamespace<SessionClock>;
  /** One per tenant: when its webhook deliveries are retried. */
  WEBHOOK_DISPATCHER: DurableObjectNamespace<WebhookDispatcher>;
  /** Workers Rate Limiting: chunk notices per candidate session. */
  CHUNK_NOTICES: RateLimit;
  [name: string]: unknown;
}

const Seconds = (fallback: number, max: number) => z.coerce.number().int().min(1).max(max).default(fallback);

const EnvSchema = z.object({
  DATABASE_URL: z.url({ message: 'DATABASE_URL must be a PlanetScale connection URL' }),
  ADMIN_TOKEN: z.string().min(32, 'ADMIN_TOKEN must be at least 32 characters'),
  INTERNAL_TOKEN: z.string().min(32, 'INTERNAL_TOKEN must be at least 32 characters'),
  TOKEN_SIGNING_KEY: z.string().min(32, 'TOKEN_SIGNING_KEY must be at least 32 characters'),
  /** A second key tokens verify with, never signed with: during a rotation the next key, then the one replaced. */
  TOKEN_SIGNING_KEY_PREVIOUS: z
    .string()
    .min(32, 'TOKEN_SIGNING_KEY_PREVIOUS must be at least 32 characters')
    .optional(),
  AWS_ACCESS_KEY_ID: z.string().min(1),
  AWS_SECRET_ACCESS_KEY: z.string().min(1),
  AWS_SESSION_TOKEN: z.string().min(1).optional(),
  AWS_REGION: z.string().min(1),
  S3_BUCKET: z.string().min(3),
  /** Set locally (path-style, e.g. http://127.0.0.1:4566); in production the regional virtual-host endpoint is used. */
  S3_ENDPOINT: z.url().optional(),
  /** The URL browsers POST uploads to, when it differs from S3_ENDPOINT (a local CORS front). */
  S3_UPLOAD_URL: z.url().optional(),
  SQS_ENDPOINT: z.url().optional(),
  JOBS_QUEUE_URL: z.url(),
  /**
   * The origin clients reach this Worker at, e.g. https://ies.example.com. Links the API hands out
   * (playback URLs) are built on it, never on the request's Host header, which the client chooses.
   */
  PUBLIC_BASE_URL: z.url({ protocol: /^https?$/ }).transform((url) => new URL(url).origin),
  UPLOAD_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(5 * 1024 ** 3)
    .default(100 * 1024 * 1024),
  UPLOAD_POLICY_TTL_SECONDS: Seconds(600, 900),
  CANDIDATE_TOKEN_TTL_SECONDS: Seconds(4 * 3600, 12 * 3600),
  PLAYBACK_TOKEN_TTL_SECONDS: Seconds(3600, 24 * 3600),
  RECORDER_VIDEO_TYPE: z.enum(['video/webm', 'video/mp4']).default('video/webm'),
  /** Webhook signing secrets are stored encrypted under a key derived from this (`worker/webhooks/crypto.ts`). */
  WEBHOOK_SECRET_KEY: z.string().min(32, 'WEBHOOK_SECRET_KEY must be at least 32 characters').optional(),
  /** The first wait before a failed webhook delivery is tried again; it doubles per attempt. */
  WEBHOOK_RETRY_BASE_MS: z.coerce.number().int().min(10).max(3_600_000).default(60_000),
  /** `true` on a development stack only: webhooks may then go to a receiver on this machine over http. */
  WEBHOOK_ALLOW_LOOPBACK: z.enum(['true', 'false']).default('false'),
});

export type Config = z.infer<typeof EnvSchema>;

const parsed = new WeakMap<object, Config>();

/** Validates the environment once per bindings object; throws naming every bad variable. */
export function configFrom(env: Bindings): Config {
  const cached = parsed.get(env);
  if (cached) return cached;
  const result = EnvSchema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`Invalid Worker configuration — ${problems.join('; ')}`);
  }
  parsed.set(env, result.data);
  return result.data;
}

/** The keys candidate and playback tokens verify with: the signing key, then TOKEN_SIGNING_KEY_PREVIOUS if set. */
export function tokenVerificationKeys(config: Config): string[] {
  return [
    config.TOKEN_SIGNING_KEY,
    ...(config.TOKEN_SIGNING_KEY_PREVIOUS ? [config.TOKEN_SIGNING_KEY_PREVIOUS] : []),
  ];
}

/** S3 endpoint for server-side reads (playback): local path-style, or the bucket's virtual host. */
export function s3Endpoint(config: Config): string {
  return config.S3_ENDPOINT
    ? `${config.S3_ENDPOINT.replace(/\/$/, '')}/${config.S3_BUCKET}`
    : `https://${config.S3_BUCKET}.s3.${config.AWS_REGION}.amazonaws.com`;
}

/** Where a browser POSTs an upload form: the policy's `url`. */
export function s3UploadUrl(config: Config): string {
  if (config.S3_UPLOAD_URL) return `${config.S3_UPLOAD_URL.replace(/\/$/, '')}/${config.S3_BUCKET}`;
  return s3Endpoint(config);
}

const awsClients = new WeakMap<Config, Record<string, AwsClient>>();

/** One SigV4 client per service and configuration, for S3 reads and SQS sends. */
export function awsClient(config: Config, service: 's3' | 'sqs'): AwsClient {
  const clients = awsClients.get(config) ?? {};
  awsClients.set(config, clients);
  clients[service] ??= new AwsClient({
    accessKeyId: config.AWS_ACCESS_KEY_ID,
    secretAccessKey: config.AWS_SECRET_ACCESS_KEY,
    sessionToken: config.AWS_SESSION_TOKEN,
    region: config.AWS_REGION,
    service,
    retries: 2,
  });
  return clients[service];
}
