/**
 * The whole system on one machine, no Docker: MariaDB behind a PlanetScale-protocol server, fauxqs for S3
 * and SQS (with a CORS front for browser uploads), the Worker under wrangler dev, the transcoder, and a
 * demo tenant. `npm start` and the integration tests both start it through `startStack`, each in its own
 * folder and ports, so the tests can run while a developer's stack is up.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Client } from '@planetscale/database';
import type { FauxqsServer } from 'fauxqs';
import { API_PREFIX } from '../../contracts/api.ts';
import { TRANSCODER_ENV, TRANSCODER_NODE_ARGS } from '../../transcoder/launch.ts';
import { startDemo } from '../demo/server.ts';
import { startLoopbackFauxqs } from './fauxqs.ts';
import { startMariaDb } from './mariadb.ts';
import { migrate } from './migrate.ts';
import { assertPortFree, freePort } from './ports.ts';
import { startPsdbServer } from './psdb-server.ts';
import { startS3CorsFront } from './s3-cors-front.ts';
import { spawnTied, type TiedProcess } from './tied-process.ts';
import { startWranglerDev } from './wrangler-dev.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const REGION = 'us-east-1';
const BUCKET = 'ies-recordings';
const DATABASE = 'ies';
/** A job that failed this many times goes to the dead-letter queue. */
export const JOBS_MAX_RECEIVE_COUNT = 5;

/** What a running stack is, as written to `stack.json`. */
export interface StackInfo {
  apiBase: string;
  /** wrangler dev's own port behind the API's front (`worker-front.ts`), for the edge benchmark. */
  wranglerUrl: string;
  docsUrl: string;
  adminToken: string;
  internalToken: string;
  /** Signs candidate and playback tokens; exposed locally so tests can mint expired or foreign tokens. */
  tokenSigningKey: string;
  tenant: { uuid: string; slug: string; apiKey: string };
  s3: {
    endpoint: string;
    uploadEndpoint: string;
    bucket: string;
    region: string;
    accessKeyId: string;
    secretAccessKey: string;
  };
  sqs: { endpoint: string; jobsQueueUrl: string; deadLetterQueueUrl: string; eventsQueueUrl: string };
  mysql: { url: string; rootUrl: string; database: string };
  transcoder: { healthUrl: string } | null;
  /** The demo tenant's server: its candidate page records with the SDK (`/candidate?unique_identifier=…`). */
  demoUrl: string;
}

export interface StackOptions {
  /** Folder for data and state (`.local` for `npm start`, a temp folder for tests). */
  dir: string;
  /** Start from empty data. */
  reset?: boolean;
  /** Fixed ports; unset ones are picked free. A fixed port in use is a clear error. */
  ports?: { api?: number; s3?: number; mysql?: number };
  /** Also run the transcoder process. */
  transcoder?: boolean;
  /** Worker variables over the stack's own (a test stack's short webhook retry delay, say). */
  workerVars?: Record<string, string>;
  log?: (line: string) => void;
}

export interface Stack {
  info: StackInfo;
  stop(): Promise<void>;
}

/** Secrets are generated once per stack folder and kept, so tokens and keys survive a restart. */
async function stackSecrets(dir: string) {
  const file = join(dir, 'secrets.json');
  const kept = existsSync(file) ? (JSON.parse(await readFile(file, 'utf8')) as Record<string, string>) : {};
  // Hex, not base64url: a secret starting with '-' reads as an option where it is passed on a command
  // line (`--admin-token <token>`: node:util parseArgs refuses it as ambiguous).
  const secret = () => randomBytes(32).toString('hex');
  // A folder from before a secret existed gets that one added, and keeps the others.
  const secrets = {
    adminToken: kept.adminToken ?? secret(),
    internalToken: kept.internalToken ?? secret(),
    tokenSigningKey: kept.tokenSigningKey ?? secret(),
    psdbPassword: kept.psdbPassword ?? secret(),
    webhookSecretKey: kept.webhookSecretKey ?? secret(),
  };
  await writeFile(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

/**
 * Creates the bucket and queues (a no-op for those a persisted fauxqs already has). fauxqs names queue
 * URLs by a region-style host (`sqs.<region>.127.0.0.1`) that is not a resolvable host; the queue is found
 * by its path, so the URLs are rewritten onto the endpoint clients really use.
 */
function setUpQueues(fauxqs: FauxqsServer, endpoint: string) {
  const setup = fauxqs.setup({
    region: REGION,
    buckets: [BUCKET],
    queues: [
      { name: 'ies-jobs-dlq', attributes: { MessageRetentionPeriod: '1209600' } },
      { name: 'ies-events' },
    ],
  });
  const dlq = setup.queues.find((queue) => queue.name === 'ies-jobs-dlq');
  if (!dlq) throw new Error('fauxqs did not create the dead-letter queue');
  const jobs = fauxqs.setup({
    region: REGION,
    queues: [
      {
        name: 'ies-jobs',
        attributes: {
          VisibilityTimeout: '120',
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: dlq.arn,
            maxReceiveCount: JOBS_MAX_RECEIVE_COUNT,
          }),
        },
      },
    ],
  });
  const url = (name: string) => {
    const queue = [...setup.queues, ...jobs.queues].find((candidate) => candidate.name === name);
    if (!queue) throw new Error(`fauxqs did not create queue ${name}`);
    return `${endpoint}${queue.url.replace(/^https?:\/\/[^/]+/, '')}`;
  };
  return { jobs: url('ies-jobs'), dlq: url('ies-jobs-dlq'), events: url('ies-events') };
}

async function adminRequest(
  info: Pick<StackInfo, 'apiBase' | 'adminToken'>,
  method: string,
  path: string,
  body?: object,
) {
  const response = await fetch(`${info.apiBase}/admin${path}`, {
    method,
    headers: { Authorization: `Bearer ${info.adminToken}`, 'Content-Type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Reuses the demo tenant of an earlier run when its key still works; otherwise registers one. */
async function demoTenant(
  info: Pick<StackInfo, 'apiBase' | 'adminToken'>,
  db: Client,
  previous: StackInfo['tenant'] | undefined,
): Promise<StackInfo['tenant']> {
  if (previous) {
    const check = await fetch(`${info.apiBase}/session?session_id=00000000-0000-4000-8000-000000000000`, {
      headers: { 'X-API-TOKEN': previous.apiKey },
    });
    await check.body?.cancel();
    if (check.status === 404) return previous;
  }
  const created = await adminRequest(info, 'POST', '/tenants', {
    slug: 'demo',
    name: 'Demo tenant',
    config: {},
  });
  if (created.status === 201) {
    const key = created.body.api_key as { api_key: string };
    return { uuid: String(created.body.tenant_uuid), slug: 'demo', apiKey: key.api_key };
  }
  const existing = await db.execute<{ uuid: string }>("SELECT uuid FROM tenants WHERE slug = 'demo'");
  const uuid = existing.rows[0]?.uuid;
  if (!uuid) throw new Error(`could not register the demo tenant: ${JSON.stringify(created.body)}`);
  await adminRequest(info, 'PATCH', `/tenants/${uuid}`, { status: 'active' });
  const issued = await adminRequest(info, 'POST', `/tenants/${uuid}/api-keys`, { label: 'demo' });
  return { uuid, slug: 'demo', apiKey: String(issued.body.api_key) };
}

/**
 * A local transcoder stops within a few seconds: a job still running then is released to the queue and
 * done again at the next start, which for a developer's stack beats waiting for it.
 */
const LOCAL_SHUTDOWN_DEADLINE_SECONDS = '2';

function startTranscoder(env: Record<string, string>, log: (line: string) => void): TiedProcess {
  const transcoder = spawnTied(join(ROOT, 'node_modules/.bin/node'), TRANSCODER_NODE_ARGS, {
    cwd: ROOT,
    env: {
      ...TRANSCODER_ENV,
      SHUTDOWN_DEADLINE_SECONDS: LOCAL_SHUTDOWN_DEADLINE_SECONDS,
      ...process.env,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [transcoder.child.stdout, transcoder.child.stderr]) {
    stream?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) if (line.trim()) log(`[transcoder] ${line}`);
    });
  }
  return transcoder;
}

/** Starts every service and returns what clients need to reach them. */
export async function startStack(options: StackOptions): Promise<Stack> {
  const log = options.log ?? (() => undefined);
  // Absolute, as wrangler and the transcoder run from the repository, not from the caller's folder.
  const dir = resolve(options.dir);
  if (options.reset) await rm(dir, { recursive: true, force: true });
  // Secrets, keys and recordings live here: readable by its owner only.
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const infoFile = join(dir, 'stack.json');
  const previous = existsSync(infoFile)
    ? (JSON.parse(await readFile(infoFile, 'utf8')) as StackInfo)
    : undefined;
  const secrets = await stackSecrets(dir);
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const step of stops.reverse()) await step().catch((error) => log(`stop: ${String(error)}`));
  };

  try {
    const apiPort = options.ports?.api ?? (await freePort());
    if (options.ports?.api) await assertPortFree(apiPort, 'Worker (wrangler dev)');

    const mariadb = await startMariaDb({ dataDir: join(dir, 'mysql'), port: options.ports?.mysql });
    stops.push(() => mariadb.stop());
    await mariadb.ensureDatabase(DATABASE);
    log(`MariaDB on 127.0.0.1:${mariadb.port}`);

    const psdb = await startPsdbServer({
      mysql: { host: '127.0.0.1', port: mariadb.port, user: 'root', password: '', database: DATABASE },
      username: 'ies',
      password: secrets.psdbPassword ?? '',
    });
    stops.push(() => psdb.stop());
    const db = new Client({ url: psdb.url });
    await migrate(db, join(ROOT, 'migrations'));
    log(`PlanetScale HTTP protocol on ${psdb.url.replace(/\/\/.*@/, '//')}`);

    await mkdir(join(dir, 'fauxqs'), { recursive: true });
    const fauxqs = await startLoopbackFauxqs({
      port: 0,
      host: '127.0.0.1',
      logger: false,
      defaultRegion: REGION,
      dataDir: join(dir, 'fauxqs'),
      s3StorageDir: join(dir, 's3'),
    });
    stops.push(() => fauxqs.stop());
    const awsEndpoint = `http://127.0.0.1:${fauxqs.port}`;
    const queues = setUpQueues(fauxqs, awsEndpoint);
    const corsFront = await startS3CorsFront(new URL(awsEndpoint), BUCKET, options.ports?.s3 ?? 0);
    stops.push(() => corsFront.stop());
    log(`S3 + SQS (fauxqs) on ${awsEndpoint}; browser uploads via ${corsFront.url}`);

    const credentials = { accessKeyId: 'local', secretAccessKey: 'local-secret' };
    const worker = await startWranglerDev({
      port: apiPort,
      stateDir: join(dir, 'worker'),
      readyPath: `${API_PREFIX}/health`,
      probePath: `${API_PREFIX}/openapi.json`,
      onLog: (line) => log(`[worker] ${line}`),
      vars: {
        DATABASE_URL: psdb.url,
        ADMIN_TOKEN: secrets.adminToken ?? '',
        INTERNAL_TOKEN: secrets.internalToken ?? '',
        TOKEN_SIGNING_KEY: secrets.tokenSigningKey ?? '',
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
        AWS_REGION: REGION,
        S3_BUCKET: BUCKET,
        S3_ENDPOINT: awsEndpoint,
        S3_UPLOAD_URL: corsFront.url,
        SQS_ENDPOINT: awsEndpoint,
        JOBS_QUEUE_URL: queues.jobs,
        PUBLIC_BASE_URL: `http://127.0.0.1:${apiPort}`,
        WEBHOOK_SECRET_KEY: secrets.webhookSecretKey,
        // A developer's (and the tests') webhook receivers listen on this machine.
        WEBHOOK_ALLOW_LOOPBACK: 'true',
        ...options.workerVars,
      },
    });
    stops.push(() => worker.stop());
    const apiBase = `${worker.url}${API_PREFIX}`;
    log(`Worker on ${worker.url}`);

    const base = { apiBase, adminToken: secrets.adminToken ?? '' };
    const tenant = await demoTenant(base, db, previous?.tenant);
    const demo = await startDemo({ apiBase, apiKey: tenant.apiKey });
    stops.push(() => demo.close());
    log(`Demo tenant server on ${demo.url}`);

    let transcoder: StackInfo['transcoder'] = null;
    if (options.transcoder) {
      const healthPort = await freePort();
      const transcoderProcess = startTranscoder(
        {
          AWS_REGION: REGION,
          AWS_ACCESS_KEY_ID: credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
          S3_ENDPOINT: awsEndpoint,
          S3_BUCKET: BUCKET,
          SQS_ENDPOINT: awsEndpoint,
          JOBS_QUEUE_URL: queues.jobs,
          EVENTS_QUEUE_URL: queues.events,
          IES_API_BASE: worker.url,
          INTERNAL_TOKEN: secrets.internalToken ?? '',
          HEALTH_PORT: String(healthPort),
          WORK_DIR: join(dir, 'transcoder'),
        },
        log,
      );
      stops.push(() => transcoderProcess.stop());
      transcoder = { healthUrl: `http://127.0.0.1:${healthPort}/healthz` };
    }

    const info: StackInfo = {
      apiBase,
      wranglerUrl: worker.wranglerUrl,
      docsUrl: `${apiBase}/docs`,
      adminToken: secrets.adminToken ?? '',
      internalToken: secrets.internalToken ?? '',
      tokenSigningKey: secrets.tokenSigningKey ?? '',
      tenant,
      s3: {
        endpoint: awsEndpoint,
        uploadEndpoint: corsFront.url,
        bucket: BUCKET,
        region: REGION,
        ...credentials,
      },
      sqs: {
        endpoint: awsEndpoint,
        jobsQueueUrl: queues.jobs,
        deadLetterQueueUrl: queues.dlq,
        eventsQueueUrl: queues.events,
      },
      mysql: { url: psdb.url, rootUrl: `${mariadb.rootUrl}/${DATABASE}`, database: DATABASE },
      transcoder,
      demoUrl: demo.url,
    };
    await writeFile(infoFile, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
    return { info, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
