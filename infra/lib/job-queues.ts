/**
 * The jobs queue with its dead-letter queue, and the events queue downstream consumers read. The numbers
 * follow the transcoder (transcoder/README.md, "Queue"): it extends a job's visibility while it runs, from
 * VISIBILITY_TIMEOUT_SECONDS = 120, and reports a failure only on the delivery SQS will not repeat
 * (ApproximateReceiveCount ≥ the redrive policy's maxReceiveCount, which it reads from the queue).
 */
import { Duration } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { queueNames, type StageSettings } from './stages.ts';

export const JOB_VISIBILITY_TIMEOUT = Duration.seconds(120);
export const MAX_RECEIVE_COUNT = 5;

export class JobQueues extends Construct {
  readonly jobs: sqs.Queue;
  readonly deadLetter: sqs.Queue;
  readonly events: sqs.Queue;

  constructor(scope: Construct, id: string, props: { stage: StageSettings['stage'] }) {
    super(scope, id);
    const names = queueNames(props.stage);
    const common = { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true };
    // Fourteen days, SQS's longest retention, for an operator to read and redrive failed jobs.
    this.deadLetter = new sqs.Queue(this, 'DeadLetter', {
      ...common,
      queueName: names.deadLetter,
      retentionPeriod: Duration.days(14),
    });
    this.jobs = new sqs.Queue(this, 'Jobs', {
      ...common,
      queueName: names.jobs,
      visibilityTimeout: JOB_VISIBILITY_TIMEOUT,
      deadLetterQueue: { queue: this.deadLetter, maxReceiveCount: MAX_RECEIVE_COUNT },
    });
    this.events = new sqs.Queue(this, 'Events', {
      ...common,
      queueName: names.events,
      retentionPeriod: Duration.days(14),
    });
  }
}
