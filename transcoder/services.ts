/**
 * The outside services every way of running jobs needs (the queue consumer and the operator CLI), built
 * one way from the configuration.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Config } from './config.ts';
import { MAX_WAIT_SECONDS } from './consumer/pool.ts';
import type { JobServices } from './jobs/index.ts';
import type { Logger } from './log.ts';
import { createMediaRunner } from './media/runner.ts';
import { createReporter } from './report.ts';
import { createS3Client, createStorage } from './storage/s3.ts';

/** An SQS client for the configured region and credentials (and a local endpoint, if set). */
function createSqsClient(config: Pick<Config, 'aws' | 'sqs' | 'upstreamTimeoutMs'>): SQSClient {
  return new SQSClient({
    region: config.aws.region,
    credentials: config.aws.credentials,
    // As for S3 (`createS3Client`); a long poll is silent for up to its wait before SQS answers, so the
    // silence allowed starts after it.
    requestHandler: {
      connectionTimeout: config.upstreamTimeoutMs,
      socketTimeout: config.upstreamTimeoutMs + MAX_WAIT_SECONDS * 1000,
    },
    ...(config.sqs.endpoint ? { endpoint: config.sqs.endpoint } : {}),
  });
}

/**
 * Storage, reporter, settings, logger and the media runner (`MEDIA_SLOTS` ffmpeg/ffprobe runs at once)
 * for job handlers, and the SQS client they report through.
 */
export function createServices(config: Config, log: Logger): { sqs: SQSClient; services: JobServices } {
  const sqs = createSqsClient(config);
  return {
    sqs,
    services: {
      storage: createStorage(createS3Client(config), config.s3.bucket),
      reporter: createReporter({
        apiBase: config.api.base,
        internalToken: config.api.internalToken,
        sqs,
        eventsQueueUrl: config.sqs.eventsQueueUrl,
        attemptTimeoutMs: config.upstreamTimeoutMs,
      }),
      settings: config,
      log,
      media: createMediaRunner({ slots: config.mediaSlots, log }),
    },
  };
}
