/**
 * Sends job messages to SQS with aws4fetch (SigV4) over the SQS JSON protocol — no AWS SDK in the Worker.
 * Messages are built from the shared zod schemas, so the transcoder's parser accepts exactly what is sent.
 */
import { Job } from '../contracts/jobs.ts';
import { awsFetch } from './aws.ts';
import type { Config } from './env.ts';
import { dependencyUnavailable } from './http/errors.ts';

/**
 * The SQS JSON protocol is served at the endpoint root with the queue in the body
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/sqs-json-faqs.html).
 */
export function sqsEndpoint(config: Config): string {
  return config.SQS_ENDPOINT
    ? `${config.SQS_ENDPOINT.replace(/\/$/, '')}/`
    : `https://sqs.${config.AWS_REGION}.amazonaws.com/`;
}

/** SQS delays a message at most 15 minutes (SendMessage `DelaySeconds`, 0–900). */
export const MAX_DELAY_SECONDS = 900;

/**
 * Enqueues a job on the jobs queue, delivered after `delaySeconds` (at most 900); a failure to enqueue is
 * a 503 the client can retry.
 */
export async function enqueueJob(config: Config, job: Job, delaySeconds = 0): Promise<void> {
  const body = JSON.stringify(Job.parse(job));
  const response = await awsFetch(config, 'sqs', sqsEndpoint(config), {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-amz-json-1.0', 'X-Amz-Target': 'AmazonSQS.SendMessage' },
    body: JSON.stringify({
      QueueUrl: config.JOBS_QUEUE_URL,
      MessageBody: body,
      ...(delaySeconds > 0 ? { DelaySeconds: Math.min(delaySeconds, MAX_DELAY_SECONDS) } : {}),
    }),
  });
  if (!response.ok) {
    const detail = (await response.text()).slice(0, 500);
    throw dependencyUnavailable('queue', new Error(`SQS ${response.status}: ${detail}`));
  }
}
