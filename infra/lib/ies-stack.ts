/**
 * One stage of the service's AWS side: the recordings bucket, the queues, the Worker's IAM user and the
 * transcoder service. Its outputs are the values the Worker's wrangler.toml and secrets need.
 */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { workerStatements } from './access.ts';
import { JobQueues } from './job-queues.ts';
import { RecordingsBucket } from './recordings-bucket.ts';
import type { StageSettings } from './stages.ts';
import { TranscoderService } from './transcoder-service.ts';

export interface IesStackProps extends StackProps {
  settings: StageSettings;
  /** A pushed transcoder image instead of building transcoder/Dockerfile. */
  transcoderImage?: string;
}

export class IesStack extends Stack {
  constructor(scope: Construct, id: string, props: IesStackProps) {
    super(scope, id, props);
    const { settings } = props;
    const { bucket } = new RecordingsBucket(this, 'Recordings', { bucketName: settings.bucketName });
    const queues = new JobQueues(this, 'Queues', { stage: settings.stage });

    // A user, not a role: the Worker runs outside AWS and signs with long-lived keys (wrangler secrets
    // AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), created by the operator so no secret passes through
    // CloudFormation. A user holds two keys at once, which is what rotating without downtime takes.
    const workerUser = new iam.User(this, 'WorkerUser', { userName: `ies-${settings.stage}-worker` });
    new iam.Policy(this, 'WorkerPolicy', {
      statements: workerStatements(bucket, queues),
      users: [workerUser],
    });

    const transcoder = new TranscoderService(this, 'Transcoder', {
      settings,
      bucket,
      queues,
      image: props.transcoderImage,
    });

    const outputs = {
      BucketName: bucket.bucketName,
      JobsQueueUrl: queues.jobs.queueUrl,
      DeadLetterQueueUrl: queues.deadLetter.queueUrl,
      EventsQueueUrl: queues.events.queueUrl,
      WorkerUserName: workerUser.userName,
      InternalTokenSecretName: transcoder.internalToken.secretName,
    };
    for (const [name, value] of Object.entries(outputs)) new CfnOutput(this, name, { value });
  }
}
