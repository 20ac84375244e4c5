/**
 * The jobs-queue consumer, on bbc/sqs-consumer. `CONCURRENCY` independent consumers each take one message
 * at a time, rather than one consumer taking batches: sqs-consumer polls again only when a whole batch
 * is done, so a ten-minute finalize would hold a finished chunk job's slot idle until it ends.
 *
 * - A message is deleted only when its job succeeded; a failure leaves it to SQS, which redelivers it
 *   when its visibility ends and moves it to the dead-letter queue after the queue's maxReceiveCount.
 * - A message that is not a job is never deleted either: it fails each delivery and so reaches the DLQ,
 *   where an operator can read it, while the consumer goes on with other messages.
 * - While a job runs, its visibility is extended every third of the timeout (sqs-consumer's heartbeat).
 * - `drain` stops polling, lets running jobs finish until the deadline, then aborts them (killing ffmpeg)
 *   and makes their messages visible again at once, so another transcoder picks them up immediately.
 */
import {
  ChangeMessageVisibilityCommand,
  GetQueueAttributesCommand,
  type Message,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { Consumer } from 'sqs-consumer';
import type { Job } from '../../contracts/jobs.ts';
import type { Config } from '../config.ts';
import { describeError, type Logger } from '../jobs/context.ts';
import { parseJobMessage } from './message.ts';

/** An SQS client for the configured region and credentials (and a local endpoint, if set). */
export function createSqsClient(config: Pick<Config, 'aws' | 'sqs'>): SQSClient {
  return new SQSClient({
    region: config.aws.region,
    credentials: config.aws.credentials,
    ...(config.sqs.endpoint ? { endpoint: config.sqs.endpoint } : {}),
  });
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
  /** Long-poll wait; 20 s (the SQS maximum) by default. */
  waitTimeSeconds?: number;
  handle: JobHandler;
  log: Logger;
}

export type ConsumerState = 'starting' | 'polling' | 'draining' | 'stopped';

export interface JobConsumer {
  /** Reads the queue's redrive policy, then starts polling. */
  start(): Promise<void>;
  /** Stops polling and finishes or releases running jobs within `deadlineMs`; resolves when none is left. */
  drain(deadlineMs: number): Promise<void>;
  status(): { state: ConsumerState; inFlight: number };
}

/** The abort reason given to jobs still running when the shutdown deadline passes. */
export class ShutdownError extends Error {
  override name = 'ShutdownError';
}

interface Slot {
  consumer: Consumer | null;
  busy: boolean;
}

interface Running {
  controller: AbortController;
  /** Settles when the handler has returned and, if aborted, the message was released. */
  finished: Promise<void>;
}

/** Builds the consumer; nothing is received until `start`. */
export function createJobConsumer(o: JobConsumerOptions): JobConsumer {
  let state: ConsumerState = 'starting';
  let maxReceiveCount: number | undefined;
  let drained: Promise<void> | undefined;
  const running = new Map<string, Running>();
  const slots: Slot[] = [];
  const log = o.log;

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

  const handlerFor = (slot: Slot) => async (message: Message) => {
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
      log.error('invalid job message; it is left to reach the dead-letter queue', {
        messageId,
        attempt,
        maxReceiveCount,
        error: describeError(error),
      });
      throw error;
    }
    const controller = new AbortController();
    let finish = () => {};
    running.set(messageId, { controller, finished: new Promise<void>((resolve) => (finish = resolve)) });
    slot.busy = true;
    try {
      const lastAttempt = maxReceiveCount === undefined || attempt >= maxReceiveCount;
      await o.handle(job, { messageId, attempt, lastAttempt }, controller.signal);
      return message;
    } catch (error) {
      if (controller.signal.aborted) await release(message);
      throw error;
    } finally {
      slot.busy = false;
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
      }
      for (let i = 0; i < o.concurrency; i++) {
        const slot: Slot = { consumer: null, busy: false };
        const consumer = Consumer.create({
          queueUrl: o.queueUrl,
          sqs: o.sqs,
          batchSize: 1,
          waitTimeSeconds: o.waitTimeSeconds ?? 20,
          visibilityTimeout: o.visibilityTimeoutSeconds,
          heartbeatInterval: Math.max(1, Math.floor(o.visibilityTimeoutSeconds / 3)),
          messageSystemAttributeNames: ['ApproximateReceiveCount'],
          handleMessage: handlerFor(slot),
        });
        consumer.on('error', (error) => log.error('jobs queue error', { error: describeError(error) }));
        slot.consumer = consumer;
        slots.push(slot);
        consumer.start();
      }
      state = 'polling';
      log.info('polling the jobs queue', { concurrency: o.concurrency, maxReceiveCount });
    },

    drain(deadlineMs) {
      drained ??= (async () => {
        state = 'draining';
        log.info('draining', { inFlight: running.size, deadlineMs });
        // An idle consumer is only waiting on a long poll: abort it. A busy one has no poll open (it
        // polls again only after its job), so stopping it is enough and keeps its heartbeat going.
        for (const slot of slots) slot.consumer?.stop(slot.busy ? undefined : { abort: true });
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<'deadline'>((resolve) => {
          timer = setTimeout(() => resolve('deadline'), deadlineMs);
        });
        const outcome = await Promise.race([settleRunning(), deadline]);
        clearTimeout(timer);
        if (outcome === 'deadline' && running.size > 0) {
          log.warn('shutdown deadline passed; aborting running jobs', { inFlight: running.size });
          for (const job of running.values())
            job.controller.abort(new ShutdownError('shutdown deadline passed'));
          await settleRunning();
        }
        state = 'stopped';
        log.info('stopped');
      })();
      return drained;
    },

    status: () => ({ state, inFlight: running.size }),
  };
}
