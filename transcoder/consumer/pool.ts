/**
 * The jobs-queue consumer, on bbc/sqs-consumer. `CONCURRENCY` independent consumers each take one message
 * at a time, rather than one consumer taking batches: sqs-consumer polls again only when a whole batch
 * is done, so a ten-minute finalize would hold a finished chunk job's slot idle until it ends.
 *
 * - A message is deleted only when its job succeeded; a failure leaves it to SQS, which redelivers it
 *   when its visibility ends and moves it to the dead-letter queue after the queue's maxReceiveCount.
 * - A permanent failure (a message that is not a job, a job no retry can mend) is not retried: the
 *   message is copied to the dead-letter queue with the reason and then deleted, at its first failure,
 *   so an operator can read it at once and the queue does not spend its retries on it.
 * - While a job runs, its visibility is extended every third of the timeout (sqs-consumer's heartbeat).
 * - `drain` stops polling, lets running jobs finish until the deadline, then aborts them (killing ffmpeg)
 *   and makes their messages visible again at once, so another transcoder picks them up immediately.
 *   A long poll already open is let run out rather than aborted: SQS (and fauxqs) may hand a message to
 *   a receive whose caller has gone, hiding it for a whole visibility timeout. Whatever such a poll
 *   brings in while draining is released at once. The poll wait is capped at half the deadline for that.
 */
import {
  ChangeMessageVisibilityCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  type Message,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { Consumer } from 'sqs-consumer';
import type { Job } from '../../contracts/jobs.ts';
import { PermanentJobError } from '../jobs/context.ts';
import { describeError, type Logger } from '../log.ts';
import { parseJobMessage } from './message.ts';

/** The URL of the queue an ARN names (`arn:aws:sqs:<region>:<account>:<name>`). */
async function queueUrlOf(sqs: SQSClient, arn: string): Promise<string | undefined> {
  const [, , , , account, name] = arn.split(':');
  if (!name) return undefined;
  const { QueueUrl } = await sqs.send(
    new GetQueueUrlCommand({ QueueName: name, ...(account ? { QueueOwnerAWSAccountId: account } : {}) }),
  );
  return QueueUrl;
}

/** What a handler knows about the delivery of its job. */
export interface Delivery {
  messageId: string;
  /** 1 for the first delivery (SQS ApproximateReceiveCount). */
  attempt: number;
  /** SQS will not deliver the message again after a failure now: it goes to the dead-letter queue. */
  lastAttempt: boolean;
}

/** Runs a job; resolve to have the message deleted, reject to have it redelivered. */
export type JobHandler = (job: Job, delivery: Delivery, signal: AbortSignal) => Promise<void>;

export interface JobConsumerOptions {
  sqs: SQSClient;
  queueUrl: string;
  concurrency: number;
  visibilityTimeoutSeconds: number;
  /** How long `drain` lets running jobs go on before aborting them. */
  shutdownDeadlineMs: number;
  handle: JobHandler;
  log: Logger;
}

export type ConsumerState = 'starting' | 'polling' | 'draining' | 'stopped';

export interface JobConsumer {
  /** Reads the queue's redrive policy, then starts polling. */
  start(): Promise<void>;
  /** Stops polling and finishes or releases running jobs by the deadline; resolves when nothing is left. */
  drain(): Promise<void>;
  status(): { state: ConsumerState; inFlight: number };
  /** The dead-letter queue named by the jobs queue's redrive policy, once started; none without one. */
  deadLetterQueueUrl(): string | undefined;
}

/** The abort reason given to jobs still running when the shutdown deadline passes. */
export class ShutdownError extends Error {
  override name = 'ShutdownError';
}

interface Running {
  controller: AbortController;
  /** Settles when the handler has returned and, if aborted, the message was released. */
  finished: Promise<void>;
}

// SQS allows long polls of up to 20 s.
export const MAX_WAIT_SECONDS = 20;
// sqs-consumer checks for a finished poll once a second.
const STOP_MARGIN_MS = 2000;

/** Builds the consumer; nothing is received until `start`. */
export function createJobConsumer(o: JobConsumerOptions): JobConsumer {
  let state: ConsumerState = 'starting';
  let maxReceiveCount: number | undefined;
  let deadLetterQueueUrl: string | undefined;
  let drained: Promise<void> | undefined;
  const running = new Map<string, Running>();
  const consumers: Consumer[] = [];
  const log = o.log;
  const waitTimeSeconds = Math.max(1, Math.min(MAX_WAIT_SECONDS, Math.floor(o.shutdownDeadlineMs / 2000)));

  const release = async (message: Message) => {
    try {
      await o.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: o.queueUrl,
          ReceiptHandle: message.ReceiptHandle,
          VisibilityTimeout: 0,
        }),
      );
      log.info('message released for redelivery', { messageId: message.MessageId });
    } catch (error) {
      log.error('could not release a message; it returns when its visibility ends', {
        messageId: message.MessageId,
        error: describeError(error),
      });
    }
  };

  /** Moves a message that can never succeed to the dead-letter queue now; true when it is there. */
  const deadLetter = async (message: Message, error: Error) => {
    if (!deadLetterQueueUrl) return false;
    await o.sqs.send(
      new SendMessageCommand({
        QueueUrl: deadLetterQueueUrl,
        MessageBody: message.Body ?? '',
        MessageAttributes: {
          failure: { DataType: 'String', StringValue: describeError(error).slice(0, 1000) },
          source_message_id: { DataType: 'String', StringValue: message.MessageId ?? '' },
        },
      }),
    );
    log.error('permanent failure; message moved to the dead-letter queue', {
      messageId: message.MessageId,
      attempt: Number(message.Attributes?.ApproximateReceiveCount ?? 1),
      error: describeError(error),
    });
    return true;
  };

  const handleMessage = async (message: Message) => {
    const messageId = message.MessageId ?? '';
    const attempt = Number(message.Attributes?.ApproximateReceiveCount ?? 1);
    if (state !== 'polling') {
      await release(message);
      throw new ShutdownError('received while draining');
    }
    let job: Job;
    try {
      job = parseJobMessage(message.Body ?? '');
    } catch (error) {
      if (await deadLetter(message, error as Error)) return message;
      throw error;
    }
    const controller = new AbortController();
    let finish = () => {};
    running.set(messageId, { controller, finished: new Promise<void>((resolve) => (finish = resolve)) });
    try {
      const lastAttempt = maxReceiveCount === undefined || attempt >= maxReceiveCount;
      await o.handle(job, { messageId, attempt, lastAttempt }, controller.signal);
      return message;
    } catch (error) {
      if (controller.signal.aborted) await release(message);
      else if (error instanceof PermanentJobError && (await deadLetter(message, error))) return message;
      throw error;
    } finally {
      running.delete(messageId);
      finish();
    }
  };

  const settleRunning = () => Promise.all([...running.values()].map((job) => job.finished));

  return {
    async start() {
      const { Attributes } = await o.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: o.queueUrl, AttributeNames: ['RedrivePolicy'] }),
      );
      const policy = Attributes?.RedrivePolicy ? JSON.parse(Attributes.RedrivePolicy) : undefined;
      maxReceiveCount = policy?.maxReceiveCount === undefined ? undefined : Number(policy.maxReceiveCount);
      if (maxReceiveCount === undefined) {
        log.warn('the jobs queue has no redrive policy: a failing job is retried until the message expires');
      } else {
        deadLetterQueueUrl = await queueUrlOf(o.sqs, String(policy.deadLetterTargetArn));
      }
      for (let i = 0; i < o.concurrency; i++) {
        const consumer = Consumer.create({
          queueUrl: o.queueUrl,
          sqs: o.sqs,
          batchSize: 1,
          waitTimeSeconds,
          // `stop()` then waits for the open poll (and a running job) before it emits `stopped`.
          pollingCompleteWaitTimeMs: o.shutdownDeadlineMs + waitTimeSeconds * 1000 + STOP_MARGIN_MS,
          visibilityTimeout: o.visibilityTimeoutSeconds,
          heartbeatInterval: Math.max(1, Math.floor(o.visibilityTimeoutSeconds / 3)),
          messageSystemAttributeNames: ['ApproximateReceiveCount'],
          handleMessage,
        });
        consumer.on('error', (error) => log.error('jobs queue error', { error: describeError(error) }));
        consumers.push(consumer);
        consumer.start();
      }
      state = 'polling';
      log.info('polling the jobs queue', { concurrency: o.concurrency, maxReceiveCount });
    },

    drain() {
      drained ??= (async () => {
        state = 'draining';
        log.info('draining', { inFlight: running.size, deadlineMs: o.shutdownDeadlineMs });
        const stopped = consumers.map(
          (consumer) => new Promise((resolve) => consumer.once('stopped', resolve)),
        );
        for (const consumer of consumers) consumer.stop();
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<'deadline'>((resolve) => {
          timer = setTimeout(() => resolve('deadline'), o.shutdownDeadlineMs);
        });
        const outcome = await Promise.race([settleRunning(), deadline]);
        clearTimeout(timer);
        if (outcome === 'deadline' && running.size > 0) {
          log.warn('shutdown deadline passed; aborting running jobs', { inFlight: running.size });
          for (const job of running.values())
            job.controller.abort(new ShutdownError('shutdown deadline passed'));
          await settleRunning();
        }
        await Promise.all(stopped);
        state = 'stopped';
        log.info('stopped');
      })();
      return drained;
    },

    status: () => ({ state, inFlight: running.size }),
    deadLetterQueueUrl: () => deadLetterQueueUrl,
  };
}
