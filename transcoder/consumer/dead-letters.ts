/**
 * The dead-letter queue's reader. A finalize whose every delivery died mid-run (the process killed, the
 * machine lost) never reaches the code that reports a failure: SQS moves its message to the DLQ at the
 * next receive, and the session would stay `processing`. This reader finds such messages and fails the
 * session (`processing_error`, with `session.failed`), once.
 *
 * - Messages the jobs consumer copied here itself carry the reason (`failure`): their job ended in code
 *   that already reported what it could. Only messages SQS moved (no `failure`) are reported.
 * - A reported message stays in the DLQ for operators: it is sent again to the DLQ's end with the
 *   attribute `session_failed_reported` (the time, or why no report could be taken) and the original
 *   deleted. Every other message is left
 *   as it was: it is received for a short claim and made visible again at once.
 * - The queue is read every `DEAD_LETTER_POLL_SECONDS` with short polls: a short poll samples a random
 *   subset of SQS's servers (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-short-and-long-polling.html),
 *   so a message behind more than ten others is still reached.
 */
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { FinalizeJob } from '../../contracts/jobs.ts';
import { PermanentJobError } from '../jobs/context.ts';
import { describeError, type Logger } from '../log.ts';
import { parseJobMessage } from './message.ts';

/** Marks a message this reader reported; its value is when. */
export const REPORTED_ATTRIBUTE = 'session_failed_reported';
/** Long enough to report and move one message; a reader that dies meanwhile lets another take it. */
const CLAIM_SECONDS = 60;

export interface DeadLetterReaderOptions {
  sqs: SQSClient;
  queueUrl: string;
  pollMs: number;
  log: Logger;
  /** Fails the session of a finalize whose deliveries all died; rejects when that could not be recorded. */
  reportDead: (job: FinalizeJob, reason: string) => Promise<void>;
}

export interface DeadLetterReader {
  start(): void;
  /** Stops reading; resolves once the message in hand is done. */
  stop(): Promise<void>;
}

/** A finalize job SQS moved here that no one reported, or null for any other message. */
function unreportedFinalize(message: Message): FinalizeJob | null {
  const attributes = message.MessageAttributes ?? {};
  if (attributes.failure || attributes[REPORTED_ATTRIBUTE]) return null;
  try {
    const job = parseJobMessage(message.Body ?? '');
    return job.type === 'finalize' ? job : null;
  } catch {
    return null;
  }
}

export function createDeadLetterReader(o: DeadLetterReaderOptions): DeadLetterReader {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> = Promise.resolve();
  const log = o.log.child({ queue: 'dead-letters' });

  const setVisibility = (message: Message, seconds: number) =>
    o.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: o.queueUrl,
        ReceiptHandle: message.ReceiptHandle,
        VisibilityTimeout: seconds,
      }),
    );

  const handle = async (message: Message) => {
    const job = unreportedFinalize(message);
    if (!job) return setVisibility(message, 0);
    const attempts = message.Attributes?.ApproximateReceiveCount ?? 'every';
    const reason = `processing did not finish: the finalize job's deliveries all ended without an outcome (the transcoder stopped mid-job); its message is in the dead-letter queue (${attempts} receives)`;
    try {
      await o.reportDead(job, reason);
    } catch (error) {
      // The Worker does not know the session: no report can ever be taken, so it is marked all the same.
      if (error instanceof PermanentJobError) return markReported(message, describeError(error));
      log.error('could not report a dead finalize; tried again at the next poll', {
        messageId: message.MessageId,
        sessionId: job.session_uuid,
        error: describeError(error),
      });
      return setVisibility(message, 0);
    }
    await markReported(message, new Date().toISOString());
    log.warn('dead finalize reported; the session is failed', {
      messageId: message.MessageId,
      sessionId: job.session_uuid,
    });
  };

  /** Sends the message again to the DLQ's end, marked, and deletes the original. */
  const markReported = async (message: Message, mark: string) => {
    await o.sqs.send(
      new SendMessageCommand({
        QueueUrl: o.queueUrl,
        MessageBody: message.Body ?? '',
        MessageAttributes: {
          ...message.MessageAttributes,
          [REPORTED_ATTRIBUTE]: { DataType: 'String', StringValue: mark.slice(0, 1000) },
          source_message_id: { DataType: 'String', StringValue: message.MessageId ?? '' },
        },
      }),
    );
    await o.sqs.send(
      new DeleteMessageCommand({ QueueUrl: o.queueUrl, ReceiptHandle: message.ReceiptHandle }),
    );
  };

  const poll = async () => {
    try {
      const { Messages = [] } = await o.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: o.queueUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: CLAIM_SECONDS,
          WaitTimeSeconds: 0,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        }),
      );
      for (const message of Messages) await handle(message);
    } catch (error) {
      log.error('dead-letter queue error', { error: describeError(error) });
    }
  };

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      current = poll().finally(schedule);
    }, o.pollMs);
  };

  return {
    start() {
      log.info('reading the dead-letter queue', { pollMs: o.pollMs });
      schedule();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await current;
    },
  };
}
