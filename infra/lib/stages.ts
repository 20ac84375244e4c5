/**
 * What differs between the deployed stages. The names match the `[env.<stage>.vars]` of the Worker's
 * wrangler.toml (S3_BUCKET, JOBS_QUEUE_URL's queue name, PUBLIC_BASE_URL), which reads what this creates.
 */
export interface StageSettings {
  stage: 'staging' | 'production';
  /** The Worker's AWS_REGION. */
  region: string;
  /** Bucket names are global across AWS: replace these placeholders, here and in wrangler.toml, before a first deploy. */
  bucketName: string;
  /** The Worker's origin (its PUBLIC_BASE_URL): the transcoder reports finalized sessions to it. */
  apiBase: string;
  transcoder: {
    /** Fargate vCPU per task; MEDIA_SLOTS follows it (one single-threaded ffmpeg run per core). */
    vcpu: 1 | 2 | 4 | 8 | 16;
    memoryMiB: number;
    minTasks: number;
    maxTasks: number;
  };
}

/**
 * Memory per task: the transcoder peaked at 355–397 MB with two media slots (transcoder/README.md,
 * "Resources"); Fargate's smallest memory for 2 and 4 vCPU (4 and 8 GiB) leaves room for the scratch files
 * the page cache holds.
 */
export const STAGES: Record<StageSettings['stage'], StageSettings> = {
  staging: {
    stage: 'staging',
    region: 'us-east-1',
    bucketName: 'ies-recordings-staging',
    apiBase: 'https://ies-staging.example.com',
    transcoder: { vcpu: 2, memoryMiB: 4096, minTasks: 1, maxTasks: 4 },
  },
  production: {
    stage: 'production',
    region: 'us-east-1',
    bucketName: 'ies-recordings-production',
    apiBase: 'https://ies.example.com',
    transcoder: { vcpu: 4, memoryMiB: 8192, minTasks: 1, maxTasks: 20 },
  },
};

/** Queue names, shared by the stack and the JOBS_QUEUE_URL in wrangler.toml. */
export function queueNames(stage: StageSettings['stage']) {
  return { jobs: `ies-${stage}-jobs`, deadLetter: `ies-${stage}-jobs-dlq`, events: `ies-${stage}-events` };
}
