/**
 * The transcoder on ECS Fargate: the image of transcoder/Dockerfile, competing consumers of the jobs queue,
 * scaled on its depth. Every setting the container reads is in transcoder/README.md ("Configuration").
 */
import { Duration } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { transcoderStatements } from './access.ts';
import { JOB_VISIBILITY_TIMEOUT, type JobQueues } from './job-queues.ts';
import type { StageSettings } from './stages.ts';

const REPO_ROOT = new URL('../../', import.meta.url).pathname;

/** The transcoder's drain deadline after SIGTERM (its default), and ECS's wait before SIGKILL, above it. */
const SHUTDOWN_DEADLINE = Duration.seconds(25);
const STOP_TIMEOUT = Duration.seconds(60);
const HEALTH_PORT = 8081;

export interface TranscoderServiceProps {
  settings: StageSettings;
  bucket: s3.IBucket;
  queues: JobQueues;
  /**
   * An image already pushed (`repository:tag`); by default the image is built from transcoder/Dockerfile
   * with the repository root as context (by `cdk deploy`; synth only stages the `.dockerignore`d context).
   */
  image?: string;
}

export class TranscoderService extends Construct {
  readonly service: ecs.FargateService;
  readonly internalToken: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: TranscoderServiceProps) {
    super(scope, id);
    const { settings, bucket, queues } = props;
    const { vcpu, memoryMiB, minTasks, maxTasks } = settings.transcoder;

    // Public subnets and no NAT gateway: tasks only call out (S3, SQS, the Worker) and nothing calls in.
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'public', subnetType: ec2.SubnetType.PUBLIC }],
      gatewayEndpoints: { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 } },
    });
    const cluster = new ecs.Cluster(this, 'Cluster', {
      vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });

    // The bearer token the transcoder reports to the Worker with; the Worker gets the same value as its
    // INTERNAL_TOKEN secret (docs/deploy.md).
    this.internalToken = new secretsmanager.Secret(this, 'InternalToken', {
      secretName: `ies/${settings.stage}/internal-token`,
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
    });

    const taskRole = new iam.Role(this, 'TaskRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
    });
    new iam.Policy(this, 'TaskPolicy', {
      statements: transcoderStatements(bucket, queues),
      roles: [taskRole],
    });

    const task = new ecs.FargateTaskDefinition(this, 'Task', {
      cpu: vcpu * 1024,
      memoryLimitMiB: memoryMiB,
      taskRole,
      runtimePlatform: {
        cpuArchitecture: ecs.CpuArchitecture.X86_64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
    });
    task.addContainer('transcoder', {
      image: props.image
        ? ecs.ContainerImage.fromRegistry(props.image)
        : ecs.ContainerImage.fromAsset(REPO_ROOT, {
            file: 'transcoder/Dockerfile',
            platform: Platform.LINUX_AMD64,
          }),
      environment: {
        AWS_REGION: settings.region,
        S3_BUCKET: bucket.bucketName,
        JOBS_QUEUE_URL: queues.jobs.queueUrl,
        EVENTS_QUEUE_URL: queues.events.queueUrl,
        IES_API_BASE: settings.apiBase,
        // One single-threaded ffmpeg run per vCPU: os.availableParallelism() inside the task sees the
        // host's cores, not the task's share (transcoder/README.md, MEDIA_SLOTS).
        MEDIA_SLOTS: String(vcpu),
        VISIBILITY_TIMEOUT_SECONDS: String(JOB_VISIBILITY_TIMEOUT.toSeconds()),
        SHUTDOWN_DEADLINE_SECONDS: String(SHUTDOWN_DEADLINE.toSeconds()),
        HEALTH_HOST: '0.0.0.0',
        HEALTH_PORT: String(HEALTH_PORT),
      },
      secrets: { INTERNAL_TOKEN: ecs.Secret.fromSecretsManager(this.internalToken) },
      logging: ecs.LogDrivers.awsLogs({
        streamPrefix: 'transcoder',
        logGroup: new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_MONTH }),
      }),
      // ECS runs its own check, not the image's HEALTHCHECK; the same request to /healthz, 503 while draining.
      healthCheck: {
        command: [
          'CMD',
          'node',
          '-e',
          `fetch('http://127.0.0.1:${HEALTH_PORT}/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`,
        ],
        interval: Duration.seconds(15),
        timeout: Duration.seconds(3),
        startPeriod: Duration.seconds(20),
      },
      stopTimeout: STOP_TIMEOUT,
    });

    this.service = new ecs.FargateService(this, 'Service', {
      cluster,
      taskDefinition: task,
      assignPublicIp: true,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { rollback: true },
    });

    // Step scaling on the jobs waiting and running: visible messages alone drop to zero while every task
    // is still busy with the messages it holds, and scaling in on that would stop a task mid-job.
    const backlog = new cloudwatch.MathExpression({
      expression: 'visible + running',
      usingMetrics: {
        visible: queues.jobs.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum' }),
        running: queues.jobs.metricApproximateNumberOfMessagesNotVisible({ statistic: 'Maximum' }),
      },
      period: Duration.minutes(1),
      label: 'jobs waiting or running',
    });
    // A task serves MEDIA_SLOTS + 1 jobs at a time (the transcoder's CONCURRENCY default).
    const jobsPerTask = vcpu + 1;
    this.service
      .autoScaleTaskCount({ minCapacity: minTasks, maxCapacity: maxTasks })
      .scaleOnMetric('QueueDepth', {
        metric: backlog,
        adjustmentType: appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
        scalingSteps: [
          { upper: 0, change: -1 },
          { lower: jobsPerTask, change: +1 },
          { lower: jobsPerTask * 4, change: +2 },
          { lower: jobsPerTask * 10, change: +5 },
        ],
        cooldown: Duration.minutes(2),
      });
  }
}
