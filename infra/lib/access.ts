/**
 * Least-privilege access to the bucket and queues, one policy per party. Object keys follow the storage
 * layout `proctor/ies/<tenant_uuid>/<session_uuid>/<asset_name>/raw|processed/…` (contracts/storage.ts).
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { JobQueues } from './job-queues.ts';

/** Everything the service stores. */
export const SERVICE_PREFIX = 'proctor/ies/';
/** Chunks as uploaded: tenant, session, asset, then `raw/`. */
export const RAW_CHUNKS = `${SERVICE_PREFIX}*/*/*/raw/*`;
/** Evidence clip request records, beside the clips the transcoder cuts. */
export const CLIP_RECORDS = `${SERVICE_PREFIX}*/*/*/processed/clips/*.json`;

/**
 * The Worker's statements. It signs POST policies, which S3 authorizes as the signer's s3:PutObject, so the
 * signer may write raw chunks; the policies carry `acl: private`, and S3's PutObject reference says
 * setting an object's ACL with the upload needs s3:PutObjectAcl too, on the same keys. It writes one other
 * kind of object itself, an evidence clip's request record (`<asset>/processed/clips/<id>.json`); it reads
 * processed outputs for playback and checks that a chunk exists (HEAD is authorized as s3:GetObject); it
 * enqueues jobs. It never lists nor deletes.
 */
export function workerStatements(bucket: s3.IBucket, queues: JobQueues): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      sid: 'SignChunkUploads',
      actions: ['s3:PutObject', 's3:PutObjectAcl'],
      resources: [bucket.arnForObjects(RAW_CHUNKS)],
    }),
    new iam.PolicyStatement({
      sid: 'RecordClipRequests',
      actions: ['s3:PutObject'],
      resources: [bucket.arnForObjects(CLIP_RECORDS)],
    }),
    new iam.PolicyStatement({
      sid: 'ReadRecordings',
      actions: ['s3:GetObject'],
      resources: [bucket.arnForObjects(`${SERVICE_PREFIX}*`)],
    }),
    new iam.PolicyStatement({
      sid: 'EnqueueJobs',
      actions: ['sqs:SendMessage'],
      resources: [queues.jobs.queueArn],
    }),
  ];
}

/**
 * The transcoder's statements: objects under the service prefix (chunks in, outputs and deletes out), the
 * listing of that prefix, consuming the jobs queue (reading its redrive policy and resolving its DLQ by name),
 * moving a permanently failing message to the DLQ itself and reading the DLQ, and publishing events.
 */
export function transcoderStatements(bucket: s3.IBucket, queues: JobQueues): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      sid: 'RecordingObjects',
      actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
      resources: [bucket.arnForObjects(`${SERVICE_PREFIX}*`)],
    }),
    new iam.PolicyStatement({
      sid: 'ListRecordings',
      actions: ['s3:ListBucket'],
      resources: [bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${SERVICE_PREFIX}*`] } },
    }),
    new iam.PolicyStatement({
      sid: 'ConsumeJobs',
      actions: [
        'sqs:ReceiveMessage',
        'sqs:DeleteMessage',
        'sqs:ChangeMessageVisibility',
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
      ],
      resources: [queues.jobs.queueArn],
    }),
    new iam.PolicyStatement({
      // It moves permanent failures there, and reads it to fail the sessions of finalize jobs that died on
      // their last delivery (transcoder/consumer/dead-letters.ts).
      sid: 'DeadLetters',
      actions: [
        'sqs:SendMessage',
        'sqs:ReceiveMessage',
        'sqs:DeleteMessage',
        'sqs:ChangeMessageVisibility',
        'sqs:GetQueueUrl',
      ],
      resources: [queues.deadLetter.queueArn],
    }),
    new iam.PolicyStatement({
      sid: 'PublishEvents',
      actions: ['sqs:SendMessage'],
      resources: [queues.events.queueArn],
    }),
  ];
}
