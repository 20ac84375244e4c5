import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { lifecycleRules as generatedRules } from '../../contracts/deletion.ts';
import { IesStack } from '../lib/ies-stack.ts';
import { lifecycleRules } from '../lib/recordings-bucket.ts';
import { STAGES, type StageSettings } from '../lib/stages.ts';

const INFRA = new URL('../', import.meta.url).pathname;
const settings = STAGES.staging;

/** Logical id of the only resource of `type` whose id starts with `prefix`. */
function resourceId(template: Template, type: string, prefix: string): string {
  const ids = Object.keys(template.findResources(type)).filter((id) => id.startsWith(prefix));
  expect(ids).toHaveLength(1);
  return ids[0] as string;
}

const arn = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
const objects = (bucketId: string, pattern: string) => ({ 'Fn::Join': ['', [arn(bucketId), `/${pattern}`]] });

let template: Template;
let assemblyDir: string;
let ids: { bucket: string; jobs: string; deadLetter: string; events: string };

beforeAll(() => {
  // Any docker run during synth would fail: the image is built by `cdk deploy`, never by synth.
  process.env.CDK_DOCKER = '/nonexistent/docker';
  const app = new App();
  const stack = new IesStack(app, 'ies-staging', { settings, env: { region: settings.region } });
  assemblyDir = app.synth().directory;
  template = Template.fromStack(stack);
  ids = {
    bucket: resourceId(template, 'AWS::S3::Bucket', 'Recordings'),
    jobs: resourceId(template, 'AWS::SQS::Queue', 'QueuesJobs'),
    deadLetter: resourceId(template, 'AWS::SQS::Queue', 'QueuesDeadLetter'),
    events: resourceId(template, 'AWS::SQS::Queue', 'QueuesEvents'),
  };
});

describe('recordings bucket', () => {
  it('is private, encrypted, TLS only and kept when the stack goes', () => {
    template.hasResource('AWS::S3::Bucket', {
      Properties: {
        BucketName: settings.bucketName,
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
      },
      DeletionPolicy: 'Retain',
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: ids.bucket },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('takes browser POSTs from the origins of s3-cors.json only', () => {
    const [rule] = JSON.parse(readFileSync(join(INFRA, 's3-cors.json'), 'utf8')).CORSRules;
    template.hasResourceProperties('AWS::S3::Bucket', {
      CorsConfiguration: {
        CorsRules: [
          {
            Id: rule.ID,
            AllowedOrigins: rule.AllowedOrigins,
            AllowedMethods: ['POST'],
            AllowedHeaders: rule.AllowedHeaders,
            ExposedHeaders: rule.ExposeHeaders,
            MaxAge: rule.MaxAgeSeconds,
          },
        ],
      },
    });
  });

  it('aborts incomplete multipart uploads', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({
            Id: 'ies-abort-incomplete-multipart-uploads',
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
            Status: 'Enabled',
          }),
        ]),
      },
    });
  });

  it('applies the rules `npm run tenant -- lifecycle-rules` writes to lifecycle-rules.json, as written', () => {
    const tenant = '0b6a3c1e-5f7d-4c1a-9b2e-3d4f5a6b7c8d';
    const written = generatedRules([{ uuid: tenant, config: { retention: { archive_after_days: 30 } } }]);
    expect(written.map((rule) => rule.Id)).toEqual([
      'ies-abort-incomplete-multipart-uploads',
      `ies-${tenant}-archive`,
      `ies-${tenant}-deletion-markers`,
    ]);
    // The bucket's own abort rule stands for the file's rule of the same Id; the others pass as written.
    expect(lifecycleRules(written)).toEqual([{ ...written[0], Prefix: '' }, ...written.slice(1)]);
    const committed = JSON.parse(readFileSync(join(INFRA, 'lifecycle-rules.json'), 'utf8'));
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: lifecycleRules(committed) },
    });
  });
});

describe('queues', () => {
  it('redrive a job to the dead-letter queue after 5 receives, with the transcoder’s visibility', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'ies-staging-jobs',
      VisibilityTimeout: 120,
      RedrivePolicy: { deadLetterTargetArn: arn(ids.deadLetter), maxReceiveCount: 5 },
      SqsManagedSseEnabled: true,
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'ies-staging-jobs-dlq',
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
    template.hasResourceProperties('AWS::SQS::Queue', { QueueName: 'ies-staging-events' });
  });

  it('refuse requests without TLS', () => {
    for (const id of Object.values(ids).filter((id) => id !== ids.bucket)) {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
  });
});

/** The statements of the IAM policy whose logical id starts with `prefix`. */
function statements(prefix: string) {
  const id = resourceId(template, 'AWS::IAM::Policy', prefix);
  return template.toJSON().Resources[id].Properties.PolicyDocument.Statement;
}

/** Fails on a wildcard action (`s3:*`) or a resource of `*`. */
function expectNoWildcards(policy: { Action: string | string[]; Resource: unknown }[]) {
  for (const statement of policy) {
    expect([statement.Action].flat().filter((action) => action.endsWith('*'))).toEqual([]);
    expect(statement.Resource).not.toBe('*');
  }
}

describe('the Worker’s IAM user', () => {
  it('may sign uploads of raw chunks, record clip requests, read recordings and enqueue jobs, and nothing else', () => {
    const policy = statements('WorkerPolicy');
    expect(policy).toEqual([
      {
        Sid: 'SignChunkUploads',
        Effect: 'Allow',
        Action: ['s3:PutObject', 's3:PutObjectAcl'],
        Resource: objects(ids.bucket, 'proctor/ies/*/*/*/raw/*'),
      },
      {
        Sid: 'RecordClipRequests',
        Effect: 'Allow',
        Action: 's3:PutObject',
        Resource: objects(ids.bucket, 'proctor/ies/*/*/*/processed/clips/*.json'),
      },
      {
        Sid: 'ReadRecordings',
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: objects(ids.bucket, 'proctor/ies/*'),
      },
      { Sid: 'EnqueueJobs', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: arn(ids.jobs) },
    ]);
    expectNoWildcards(policy);
    template.hasResourceProperties('AWS::IAM::User', { UserName: 'ies-staging-worker' });
    template.resourceCountIs('AWS::IAM::AccessKey', 0);
  });
});

describe('the transcoder', () => {
  it('has a task role limited to the service prefix, its queues and the events queue', () => {
    const policy = statements('TranscoderTaskPolicy');
    expect(policy).toEqual([
      {
        Sid: 'RecordingObjects',
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        Resource: objects(ids.bucket, 'proctor/ies/*'),
      },
      {
        Sid: 'ListRecordings',
        Effect: 'Allow',
        Action: 's3:ListBucket',
        Resource: arn(ids.bucket),
        Condition: { StringLike: { 's3:prefix': ['proctor/ies/*'] } },
      },
      {
        Sid: 'ConsumeJobs',
        Effect: 'Allow',
        Action: [
          'sqs:ReceiveMessage',
          'sqs:DeleteMessage',
          'sqs:ChangeMessageVisibility',
          'sqs:GetQueueAttributes',
          'sqs:GetQueueUrl',
        ],
        Resource: arn(ids.jobs),
      },
      {
        Sid: 'DeadLetters',
        Effect: 'Allow',
        Action: [
          'sqs:SendMessage',
          'sqs:ReceiveMessage',
          'sqs:DeleteMessage',
          'sqs:ChangeMessageVisibility',
          'sqs:GetQueueUrl',
        ],
        Resource: arn(ids.deadLetter),
      },
      { Sid: 'PublishEvents', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: arn(ids.events) },
    ]);
    expectNoWildcards(policy);
    const role = resourceId(template, 'AWS::IAM::Role', 'TranscoderTaskRole');
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyName: Match.stringLikeRegexp('^TranscoderTaskPolicy'),
      Roles: [{ Ref: role }],
    });
  });

  it('runs on Fargate with one media slot per vCPU, its health port open, the token from Secrets Manager, logs in CloudWatch', () => {
    const { vcpu, memoryMiB } = settings.transcoder;
    const secret = resourceId(template, 'AWS::SecretsManager::Secret', 'TranscoderInternalToken');
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RequiresCompatibilities: ['FARGATE'],
      Cpu: String(vcpu * 1024),
      Memory: String(memoryMiB),
      ContainerDefinitions: [
        Match.objectLike({
          Environment: Match.arrayWith([
            { Name: 'JOBS_QUEUE_URL', Value: { Ref: ids.jobs } },
            { Name: 'EVENTS_QUEUE_URL', Value: { Ref: ids.events } },
            { Name: 'IES_API_BASE', Value: settings.apiBase },
            { Name: 'MEDIA_SLOTS', Value: String(vcpu) },
            { Name: 'VISIBILITY_TIMEOUT_SECONDS', Value: '120' },
            { Name: 'HEALTH_HOST', Value: '0.0.0.0' },
          ]),
          Secrets: [{ Name: 'INTERNAL_TOKEN', ValueFrom: { Ref: secret } }],
          LogConfiguration: Match.objectLike({ LogDriver: 'awslogs' }),
          StopTimeout: 60,
          HealthCheck: Match.objectLike({ Command: Match.arrayWith(['CMD', 'node']) }),
        }),
      ],
    });
    const env =
      template.toJSON().Resources[resourceId(template, 'AWS::ECS::TaskDefinition', 'TranscoderTask')]
        .Properties.ContainerDefinitions[0].Environment;
    expect(env.map((entry: { Name: string }) => entry.Name)).not.toContain('AWS_ACCESS_KEY_ID');
  });

  it('scales between its bounds on the jobs waiting and running in the jobs queue', () => {
    const { minTasks, maxTasks, vcpu } = settings.transcoder;
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: minTasks,
      MaxCapacity: maxTasks,
      ScalableDimension: 'ecs:service:DesiredCount',
    });
    const policies = Object.values(template.findResources('AWS::ApplicationAutoScaling::ScalingPolicy'));
    const steps = policies.flatMap((p) => p.Properties.StepScalingPolicyConfiguration.StepAdjustments);
    expect(policies.every((p) => p.Properties.PolicyType === 'StepScaling')).toBe(true);
    // Thresholds sit at jobs-per-task multiples (CONCURRENCY = MEDIA_SLOTS + 1); the upper alarm fires at the first.
    expect(steps).toContainEqual({ MetricIntervalUpperBound: 0, ScalingAdjustment: -1 });
    expect(steps).toContainEqual({
      MetricIntervalLowerBound: 0,
      MetricIntervalUpperBound: 3 * (vcpu + 1),
      ScalingAdjustment: 1,
    });
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(2);
    for (const alarm of alarms) {
      const metrics = alarm.Properties.Metrics.flatMap((m: { MetricStat?: { Metric: unknown } }) =>
        m.MetricStat ? [m.MetricStat.Metric] : [],
      );
      expect(metrics).toContainEqual({
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Namespace: 'AWS/SQS',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [ids.jobs, 'QueueName'] } }],
      });
    }
  });

  it('is built from transcoder/Dockerfile with only what it copies staged as context, and no docker run', () => {
    const manifest = JSON.parse(readFileSync(join(assemblyDir, 'ies-staging.assets.json'), 'utf8'));
    const [image] = Object.values(manifest.dockerImages) as {
      source: { directory: string; dockerFile: string };
    }[];
    expect(image?.source.dockerFile).toBe('transcoder/Dockerfile');
    const context = readdirSync(join(assemblyDir, image?.source.directory ?? '')).sort();
    expect(context).toEqual([
      '.dockerignore',
      'contracts',
      'package-lock.json',
      'package.json',
      'transcoder',
    ]);
  });
});

describe('the Worker’s wrangler.toml', () => {
  /** The `[env.<stage>.vars]` table of wrangler.toml, read line by line (plain `NAME = "value"` entries). */
  function wranglerVars(stage: StageSettings['stage']): Record<string, string> {
    const toml = readFileSync(join(INFRA, '../wrangler.toml'), 'utf8');
    const table = toml.split(`[env.${stage}.vars]\n`)[1]?.split('\n[')[0] ?? '';
    return Object.fromEntries([...table.matchAll(/^(\w+) = "(.*)"$/gm)].map((m) => [m[1], m[2]]));
  }

  it.each(Object.values(STAGES))('names what the $stage stack creates', (stage) => {
    const vars = wranglerVars(stage.stage);
    expect(vars.S3_BUCKET).toBe(stage.bucketName);
    expect(vars.AWS_REGION).toBe(stage.region);
    expect(vars.PUBLIC_BASE_URL).toBe(stage.apiBase);
    expect(vars.JOBS_QUEUE_URL).toMatch(
      new RegExp(`^https://sqs\\.${stage.region}\\.amazonaws\\.com/\\d{12}/ies-${stage.stage}-jobs$`),
    );
  });
});
