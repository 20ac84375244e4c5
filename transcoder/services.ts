/**
 * The outside services every way of running jobs needs (the queue consumer and the operator CLI), built
 * one way from the configuration.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Config } from './config.ts';
import { createSqsClient } from './consumer/pool.ts';
import type { JobContext, Logger } from './jobs/context.ts';
import { createMediaRunner } from './media/runner.ts';
import { createReporter } from './report.ts';
import { createS3Client, createStorage } from './storage/s3.ts';

/**
 * Storage, reporter, settings, logger and the media runner (`MEDIA_SLOTS` ffmpeg/ffprobe runs at once)
 * for job handlers, and the SQS client they report through.
 */
export function createServices(
  config: Config,
  log: Logger,
): { sqs: SQSClient; services: Pick<JobContext, 'storage' | 'reporter' | 'settings' | 'log' | 'media'> } {
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
      }),
      settings: config,
      log,
      media: createMediaRunner({ slots: config.mediaSlots, log }),
    },
  };
}
