/**
 * The transcoder's configuration, read from the environment once at start and validated with zod, so a
 * missing or malformed variable stops the process with its name instead of failing a job an hour later.
 */
import { availableParallelism, tmpdir } from 'node:os';
import { z } from 'zod';

const whole = (fallback: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

const EnvSchema = z
  .object({
    AWS_REGION: z.string().min(1),
    /**
     * Static keys, or none: without them the AWS SDK's default chain finds the credentials (an ECS task
     * role, an EC2 instance profile, web identity), which is how a deployed transcoder should get them.
     */
    AWS_ACCESS_KEY_ID: z.string().min(1).optional(),
    AWS_SECRET_ACCESS_KEY: z.string().min(1).optional(),
    AWS_SESSION_TOKEN: z.string().min(1).optional(),
    /** Set locally (fauxqs); it implies path-style addressing. In production the regional endpoint is used. */
    S3_ENDPOINT: z.url().optional(),
    S3_BUCKET: z.string().min(3),
    SQS_ENDPOINT: z.url().optional(),
    JOBS_QUEUE_URL: z.url(),
    EVENTS_QUEUE_URL: z.url(),
    /** The Worker's origin, e.g. http://127.0.0.1:8787; finalize outcomes are POSTed to its internal endpoint. */
    IES_API_BASE: z.url(),
    INTERNAL_TOKEN: z.string().min(32, 'must be at least 32 characters (the Worker refuses shorter ones)'),
    /** ffmpeg/ffprobe runs at a time; every run is single-threaded, so one per core by default. */
    MEDIA_SLOTS: whole(availableParallelism(), 1, 64),
    /** Jobs at a time; by default one more than the media slots, so a job's transfers overlap the others' encodes. */
    CONCURRENCY: z.coerce.number().int().min(1).max(64).optional(),
    /** Two seconds is the floor: the visibility heartbeat runs every third of it, in whole seconds. */
    VISIBILITY_TIMEOUT_SECONDS: whole(120, 2, 43_200),
    HEALTH_PORT: whole(8081, 0, 65_535),
    /** Loopback by default; a container that must answer its orchestrator sets 0.0.0.0 (the Dockerfile does). */
    HEALTH_HOST: z.union([z.ipv4(), z.ipv6()]).default('127.0.0.1'),
    WORK_DIR: z.string().min(1).default(tmpdir()),
    FRAMES_FPS: z.coerce.number().positive().max(30).default(1),
    GAP_THRESHOLD_MS: whole(500, 0, 60_000),
    LIVE_HOLD_TIMEOUT_SECONDS: whole(30, 0, 3600),
    SHUTDOWN_DEADLINE_SECONDS: whole(25, 1, 3600),
    DEAD_LETTER_POLL_SECONDS: whole(30, 1, 3600),
    /**
     * How long a call to S3, SQS or the Worker may wait to connect, or for the next bytes of its answer,
     * before it counts as failed and is retried: a dependency that stalls without closing its connections
     * would otherwise hold a job, and its message, for as long as the stall lasts.
     */
    UPSTREAM_TIMEOUT_SECONDS: whole(30, 1, 600),
  })
  .refine((e) => (e.AWS_ACCESS_KEY_ID === undefined) === (e.AWS_SECRET_ACCESS_KEY === undefined), {
    message:
      'set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither (the default credential chain)',
    path: ['AWS_SECRET_ACCESS_KEY'],
  });

/** Validated settings, grouped by what uses them. */
export interface Config {
  aws: {
    region: string;
    /** Undefined: the AWS SDK's default credential chain. */
    credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  };
  s3: { endpoint?: string; bucket: string };
  sqs: { endpoint?: string; jobsQueueUrl: string; eventsQueueUrl: string };
  api: { base: string; internalToken: string };
  concurrency: number;
  mediaSlots: number;
  visibilityTimeoutSeconds: number;
  healthPort: number;
  healthHost: string;
  workDir: string;
  framesFps: number;
  gapThresholdMs: number;
  liveHoldMs: number;
  shutdownDeadlineMs: number;
  deadLetterPollMs: number;
  /** `UPSTREAM_TIMEOUT_SECONDS` in ms. */
  upstreamTimeoutMs: number;
}

/** Thrown when the environment does not describe a usable transcoder; the message names every bad variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Parses the environment. Empty values count as unset, as container env files often carry `NAME=`.
 * @throws ConfigError listing each variable that is missing or malformed
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const result = EnvSchema.safeParse(present);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = issue.path.join('.');
      return name in present ? `${name}: ${issue.message}` : `${name} is required`;
    });
    throw new ConfigError(`Invalid transcoder configuration: ${problems.join('; ')}`);
  }
  const e = result.data;
  return {
    aws: {
      region: e.AWS_REGION,
      ...(e.AWS_ACCESS_KEY_ID && e.AWS_SECRET_ACCESS_KEY
        ? {
            credentials: {
              accessKeyId: e.AWS_ACCESS_KEY_ID,
              secretAccessKey: e.AWS_SECRET_ACCESS_KEY,
              ...(e.AWS_SESSION_TOKEN ? { sessionToken: e.AWS_SESSION_TOKEN } : {}),
            },
          }
        : {}),
    },
    s3: { endpoint: e.S3_ENDPOINT, bucket: e.S3_BUCKET },
    sqs: { endpoint: e.SQS_ENDPOINT, jobsQueueUrl: e.JOBS_QUEUE_URL, eventsQueueUrl: e.EVENTS_QUEUE_URL },
    api: { base: e.IES_API_BASE.replace(/\/+$/, ''), internalToken: e.INTERNAL_TOKEN },
    concurrency: e.CONCURRENCY ?? e.MEDIA_SLOTS + 1,
    mediaSlots: e.MEDIA_SLOTS,
    visibilityTimeoutSeconds: e.VISIBILITY_TIMEOUT_SECONDS,
    healthPort: e.HEALTH_PORT,
    healthHost: e.HEALTH_HOST,
    workDir: e.WORK_DIR,
    framesFps: e.FRAMES_FPS,
    gapThresholdMs: e.GAP_THRESHOLD_MS,
    liveHoldMs: e.LIVE_HOLD_TIMEOUT_SECONDS * 1000,
    shutdownDeadlineMs: e.SHUTDOWN_DEADLINE_SECONDS * 1000,
    deadLetterPollMs: e.DEAD_LETTER_POLL_SECONDS * 1000,
    upstreamTimeoutMs: e.UPSTREAM_TIMEOUT_SECONDS * 1000,
  };
}
