import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../transcoder/config.ts';

const minimal = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'secret',
  S3_BUCKET: 'ies-recordings',
  JOBS_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/ies-jobs',
  EVENTS_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/ies-events',
  IES_API_BASE: 'https://ies.example.com/',
  INTERNAL_TOKEN: 'x'.repeat(32),
};

function problemsOf(env: Record<string, string | undefined>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected the configuration to be refused');
}

describe('transcoder configuration', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig(minimal);
    expect(config).toMatchObject({
      mediaSlots: availableParallelism(),
      concurrency: availableParallelism() + 1,
      visibilityTimeoutSeconds: 120,
      healthPort: 8081,
      healthHost: '127.0.0.1',
      framesFps: 1,
      gapThresholdMs: 500,
      liveHoldMs: 30_000,
      shutdownDeadlineMs: 25_000,
      deadLetterPollMs: 30_000,
    });
    expect(config.workDir.length).toBeGreaterThan(0);
    expect(config.s3.endpoint).toBeUndefined();
    expect(config.aws.credentials).toEqual({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' });
  });

  it('drops a trailing slash from the API base so paths join cleanly', () => {
    expect(loadConfig(minimal).api.base).toBe('https://ies.example.com');
  });

  it('reads numbers, local endpoints and a session token', () => {
    const config = loadConfig({
      ...minimal,
      AWS_SESSION_TOKEN: 'token',
      S3_ENDPOINT: 'http://127.0.0.1:4566',
      SQS_ENDPOINT: 'http://127.0.0.1:4566',
      CONCURRENCY: '4',
      MEDIA_SLOTS: '3',
      VISIBILITY_TIMEOUT_SECONDS: '3',
      HEALTH_PORT: '0',
      FRAMES_FPS: '0.5',
      LIVE_HOLD_TIMEOUT_SECONDS: '0',
      SHUTDOWN_DEADLINE_SECONDS: '5',
      DEAD_LETTER_POLL_SECONDS: '1',
    });
    expect(config).toMatchObject({
      s3: { endpoint: 'http://127.0.0.1:4566' },
      sqs: { endpoint: 'http://127.0.0.1:4566' },
      concurrency: 4,
      mediaSlots: 3,
      visibilityTimeoutSeconds: 3,
      healthPort: 0,
      healthHost: '127.0.0.1',
      framesFps: 0.5,
      liveHoldMs: 0,
      shutdownDeadlineMs: 5000,
      deadLetterPollMs: 1000,
    });
    expect(config.aws.credentials?.sessionToken).toBe('token');
  });

  it('leaves the credentials to the default chain (a task role) when no keys are set, and wants both or neither', () => {
    const { AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, ...keyless } = minimal;
    expect(loadConfig(keyless).aws.credentials).toBeUndefined();
    expect(problemsOf({ ...keyless, AWS_ACCESS_KEY_ID })).toContain('AWS_SECRET_ACCESS_KEY is required');
    expect(problemsOf({ ...keyless, AWS_SECRET_ACCESS_KEY })).toMatch(/AWS_SECRET_ACCESS_KEY: set both/);
  });

  it('names every missing variable at once', () => {
    const message = problemsOf({ ...minimal, S3_BUCKET: undefined, JOBS_QUEUE_URL: '' });
    expect(message).toContain('S3_BUCKET is required');
    expect(message).toContain('JOBS_QUEUE_URL is required');
  });

  it.each([
    ['CONCURRENCY', '0'],
    ['CONCURRENCY', 'two'],
    ['MEDIA_SLOTS', '0'],
    ['VISIBILITY_TIMEOUT_SECONDS', '1'],
    ['HEALTH_PORT', '70000'],
    ['FRAMES_FPS', '-1'],
    ['GAP_THRESHOLD_MS', '1.5'],
    ['IES_API_BASE', 'not a url'],
    ['INTERNAL_TOKEN', 'short'],
    ['S3_ENDPOINT', 'localhost'],
  ])('refuses %s=%s and says which variable is wrong', (name, value) => {
    expect(problemsOf({ ...minimal, [name]: value })).toMatch(new RegExp(`${name}: `));
  });
});
