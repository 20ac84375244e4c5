/**
 * The transcoder as a service: `node transcoder/main.ts` in a child process consuming a real (fauxqs) jobs
 * queue with a dead-letter queue, killed and signalled like an orchestrator would.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { FauxqsServer } from 'fauxqs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ChunkJob, ServiceEvent, SessionStatusReport } from '../../contracts/jobs.ts';
import { sessionPrefix } from '../../contracts/storage.ts';
import { startLoopbackFauxqs } from '../../dev/stack/fauxqs.ts';
import { spawnTied, type TiedProcess } from '../../dev/stack/tied-process.ts';
import { TRANSCODER_ENV, TRANSCODER_NODE_ARGS } from '../../transcoder/launch.ts';
import { createStorage, type Storage } from '../../transcoder/storage/s3.ts';
import { makeChunk } from '../support/chunks.ts';
import { chunkJob as chunkJobOf, finalizeJob } from '../support/jobs.ts';
import { startStallProxy } from '../support/stall-proxy.ts';

const TENANT = '5e4d3c2b-1a09-4f8e-9d7c-6b5a49382716';
const T0 = 1_764_158_400_000;
const VISIBILITY_SECONDS = 4;
const MAX_RECEIVE_COUNT = 2;

let fauxqs: FauxqsServer;
let storage: Storage;
let s3: S3Client;
let sqs: SQSClient;
let statusServer: Server;
let work: string;
let chunkFiles: string[];
const queues = { jobs: '', dlq: '', events: '' };
/** The status reports the stand-in Worker accepted. */
const reports: SessionStatusReport[] = [];
/** The events the transcoder reported to the stand-in Worker (for webhooks), beside the events queue. */
const reportedEvents: ServiceEvent[] = [];
/** Sessions the stand-in Worker does not know: it answers 404, as the real one does. */
const unknownSessions = new Set<string>();
/** How many more reports of a session the stand-in Worker answers 503 to, as a Worker whose database is down. */
const refusals = new Map<string, number>();
/**
 * Sessions whose status report the stand-in Worker leaves unanswered until the test lets it go. A finalize
 * ends with that report, so a job held here cannot finish, however fast the machine, before the test
 * says: what a test needs to outlast a deadline outlasts it by construction.
 */
const heldReports = new Map<
  string,
  { arrived: PromiseWithResolvers<void>; released: PromiseWithResolvers<void> }
>();
const children: TiedProcess[] = [];

type LogLine = Record<string, unknown> & { msg: string };

interface Transcoder {
  child: ChildProcess;
  logs: LogLine[];
  healthUrl: string;
  exited: Promise<number | null>;
  waitForLog(predicate: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
}

async function until<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 60_000,
) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function startTranscoder(env: Record<string, string> = {}): Promise<Transcoder> {
  const endpoint = `http://127.0.0.1:${fauxqs.port}`;
  const healthPort = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
  const transcoderProcess = spawnTied(process.execPath, TRANSCODER_NODE_ARGS, {
    cwd: join(import.meta.dirname, '../..'),
    env: {
      PATH: process.env.PATH,
      ...TRANSCODER_ENV,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      S3_ENDPOINT: endpoint,
      S3_BUCKET: 'recordings',
      SQS_ENDPOINT: endpoint,
      JOBS_QUEUE_URL: queues.jobs,
      EVENTS_QUEUE_URL: queues.events,
      IES_API_BASE: `http://127.0.0.1:${(statusServer.address() as AddressInfo).port}`,
      INTERNAL_TOKEN: 'i'.repeat(32),
      CONCURRENCY: '2',
      VISIBILITY_TIMEOUT_SECONDS: String(VISIBILITY_SECONDS),
      HEALTH_PORT: String(healthPort),
      WORK_DIR: join(work, 'transcoder'),
      // Short, so a drain (which lets open long polls run out) takes a second or two.
      SHUTDOWN_DEADLINE_SECONDS: '2',
      DEAD_LETTER_POLL_SECONDS: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(transcoderProcess);
  const { child } = transcoderProcess;
  const logs: LogLine[] = [];
  const waiters: (() => void)[] = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    logs.push(JSON.parse(line));
    for (const wake of waiters.splice(0)) wake();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const transcoder: Transcoder = {
    child,
    logs,
    healthUrl: `http://127.0.0.1:${healthPort}/healthz`,
    exited,
    waitForLog: (predicate, timeoutMs = 60_000) => until('a log line', () => logs.find(predicate), timeoutMs),
  };
  await transcoder.waitForLog((line) => line.msg === 'polling the jobs queue', 15_000);
  return transcoder;
}

/** The chunk job for chunk `seq` of a session: 2 s chunks, 20 ms apart. */
function chunkJob(session: string, seq: number): ChunkJob {
  return chunkJobOf(TENANT, session, 'screenshare', {
    seq,
    startMs: T0 + seq * 2020,
    durationMs: 2000,
    ext: 'webm',
  });
}

async function uploadSession(session: string) {
  for (const [seq, file] of chunkFiles.entries()) {
    await s3.send(
      new PutObjectCommand({
        Bucket: 'recordings',
        Key: chunkJob(session, seq).key,
        Body: await readFile(file),
      }),
    );
  }
}

async function send(body: string) {
  await sqs.send(new SendMessageCommand({ QueueUrl: queues.jobs, MessageBody: body }));
}

/** Holds `session`'s status report until `release`; `arrived` settles once the transcoder sends it. */
function holdReport(session: string) {
  const held = { arrived: Promise.withResolvers<void>(), released: Promise.withResolvers<void>() };
  heldReports.set(session, held);
  return {
    arrived: held.arrived.promise,
    release() {
      heldReports.delete(session);
      held.released.resolve();
    },
  };
}

const readyReport = (session: string) =>
  until(`session ${session} to be ready`, () =>
    reports.find((report) => report.session_uuid === session && report.status === 'ready'),
  );

function queued(name: string) {
  const queue = fauxqs.inspectQueue(name);
  return { ready: queue?.messages.ready ?? [], inflight: queue?.messages.inflight ?? [] };
}

/** A job of `session` that ended well: never dead-lettered, and its message gone from the jobs queue. */
async function expectFinishedInQueue(session: string) {
  const deadLettered = queued('jobs-dlq').ready.map((message) => message.body);
  expect(deadLettered.join()).not.toContain(session);
  await until('the jobs queue to empty', () => queued('jobs').inflight.length === 0 || undefined);
}

function events(): ServiceEvent[] {
  return queued('events').ready.map((message) => JSON.parse(message.body));
}

/** A session's objects and the text of its playlists and manifest, with the session id taken out. */
async function packageOf(session: string) {
  const prefix = sessionPrefix(TENANT, session);
  const keys = (await storage.list(prefix)).map((object) => object.key.slice(prefix.length));
  const texts: Record<string, string | null> = {};
  for (const key of keys.filter((k) => k.endsWith('.m3u8') || k.endsWith('manifest.json'))) {
    texts[key] = (await storage.getText(`${prefix}${key}`))?.replaceAll(session, '<session>') ?? null;
  }
  return { keys, texts };
}

beforeAll(async () => {
  fauxqs = await startLoopbackFauxqs({ port: 0, logger: false });
  const setup = fauxqs.setup({
    buckets: ['recordings'],
    queues: [{ name: 'jobs-dlq' }, { name: 'events' }],
  });
  const dlq = setup.queues.find((queue) => queue.name === 'jobs-dlq');
  const jobs = fauxqs.createQueue('jobs', {
    attributes: {
      VisibilityTimeout: String(VISIBILITY_SECONDS),
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq?.arn, maxReceiveCount: MAX_RECEIVE_COUNT }),
    },
  });
  queues.jobs = jobs.queueUrl;
  queues.dlq = dlq?.url ?? '';
  queues.events = setup.queues.find((queue) => queue.name === 'events')?.url ?? '';
  const endpoint = `http://127.0.0.1:${fauxqs.port}`;
  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
  s3 = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials });
  sqs = new SQSClient({ region: 'us-east-1', endpoint, credentials });
  storage = createStorage(s3, 'recordings');
  statusServer = createServer((request, response) => {
    let body = '';
    request.on('data', (data) => (body += data));
    request.on('end', async () => {
      if (request.url?.endsWith('/internal/events')) {
        reportedEvents.push(JSON.parse(body));
        response.writeHead(204).end();
        return;
      }
      const report = JSON.parse(body) as SessionStatusReport;
      const held = heldReports.get(report.session_uuid);
      if (held) {
        held.arrived.resolve();
        await held.released.promise;
        // The transcoder gave up on it (aborted, or killed): nothing was reported.
        if (request.socket.destroyed) return;
      }
      const refuse = refusals.get(report.session_uuid) ?? 0;
      if (refuse > 0) {
        refusals.set(report.session_uuid, refuse - 1);
        response.writeHead(503, { 'Retry-After': '5' }).end('{"error":{"code":"SERVICE_UNAVAILABLE"}}');
        return;
      }
      reports.push(report);
      if (unknownSessions.has(report.session_uuid)) {
        response.writeHead(404, { 'Content-Type': 'application/json' }).end('{"error":{"code":"NOT_FOUND"}}');
      } else {
        response.writeHead(204).end();
      }
    });
  });
  await new Promise<void>((resolve) => statusServer.listen(0, '127.0.0.1', resolve));
  work = await mkdtemp(join(tmpdir(), 'transcoder-queue-'));
  await mkdir(join(work, 'media'));
  chunkFiles = await Promise.all(
    [0, 1, 2].map((i) =>
      makeChunk(join(work, 'media'), {
        name: `${i}.webm`,
        width: 640,
        height: 360,
        durationSec: 2,
        audio: i === 1,
      }),
    ),
  );
});

// Stopped the way an orchestrator does, so no long poll of theirs stays open in fauxqs to swallow a
// message meant for the next test's transcoder.
afterEach(async () => {
  for (const transcoder of children.splice(0)) await transcoder.stop(60_000);
});

afterAll(async () => {
  await fauxqs?.stop();
  statusServer?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the transcoder service', () => {
  it('answers its health check while it polls', async () => {
    const transcoder = await startTranscoder();
    const response = await fetch(transcoder.healthUrl);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'polling', in_flight: 0 });
  });

  it('counts its jobs, their time and its lag behind the recording in /metrics', async () => {
    const session = 'a7a7a7a7-a7a7-4a7a-8a7a-a7a7a7a7a7a7';
    await uploadSession(session);
    const transcoder = await startTranscoder();
    const metricsUrl = transcoder.healthUrl.replace('/healthz', '/metrics');
    const before = await fetch(metricsUrl);
    expect(before.headers.get('content-type')).toContain('text/plain');
    const sample = (text: string, name: string) =>
      Number(new RegExp(`^${name.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
    const done = 'ies_transcoder_jobs_total{type="chunk",outcome="done"}';
    expect(sample(await before.text(), done)).toBe(0);

    await send(JSON.stringify(chunkJob(session, 0)));
    await transcoder.waitForLog((line) => line.msg === 'job done' && line.sessionId === session);
    const after = await (await fetch(metricsUrl)).text();
    expect(sample(after, done)).toBe(1);
    expect(sample(after, 'ies_transcoder_job_duration_seconds_count{type="chunk"}')).toBe(1);
    expect(sample(after, 'ies_transcoder_chunk_realtime_factor_count')).toBe(1);
    expect(sample(after, 'ies_transcoder_chunk_realtime_factor_sum')).toBeGreaterThan(0);
    // The chunks are named in 2025: the lag is the months since, in seconds.
    expect(sample(after, 'ies_transcoder_queue_lag_seconds_sum')).toBeGreaterThan(86_400);
    expect(sample(after, 'ies_transcoder_media_slots_busy')).toBe(0);
    expect(after).toContain('ies_transcoder_process_resident_memory_bytes');
  });

  it('delivers a job again after the transcoder is killed mid-run, and ends with a clean run’s package', async () => {
    const clean = 'a1a1a1a1-a1a1-4a1a-8a1a-a1a1a1a1a1a1';
    const killed = 'b2b2b2b2-b2b2-4b2b-8b2b-b2b2b2b2b2b2';
    await uploadSession(clean);
    await uploadSession(killed);
    // One consumer, busy with the job when killed: a second one would leave a long poll open in fauxqs,
    // which hands the message back to the dead process once and so spends one of its two deliveries.
    const first = await startTranscoder({ CONCURRENCY: '1' });
    await send(JSON.stringify(finalizeJob(TENANT, clean)));
    await readyReport(clean);

    // However fast the rest of the run, it cannot finish before the kill: its report waits for the test.
    const report = holdReport(killed);
    await send(JSON.stringify(finalizeJob(TENANT, killed)));
    // Kill it once the first chunk of the job is done: in the middle of the work.
    const cache = `${sessionPrefix(TENANT, killed)}screenshare/processed/playlist_cache/chunks/`;
    await until(
      'the first chunk of the killed run',
      async () => (await storage.list(cache)).length > 0 || undefined,
    );
    first.child.kill('SIGKILL');
    await first.exited;
    report.release();
    expect(reports.some((report) => report.session_uuid === killed)).toBe(false);
    expect(queued('jobs').inflight).toHaveLength(1);

    const second = await startTranscoder();
    await readyReport(killed);
    const redelivered = await second.waitForLog(
      (line) => line.msg === 'job done' && line.sessionId === killed,
    );
    expect(redelivered.attempt).toBe(2);
    expect(await packageOf(killed)).toEqual(await packageOf(clean));
    await until('the jobs queue to empty', () => queued('jobs').inflight.length === 0 || undefined);
    expect(queued('jobs').ready).toHaveLength(0);
  });

  it('moves a message that can never succeed to the dead-letter queue at once and goes on serving other jobs', async () => {
    const unknown = 'c3c3c3c3-c3c3-4c3c-8c3c-c3c3c3c3c3c3';
    unknownSessions.add(unknown);
    const served = 'd4d4d4d4-d4d4-4d4d-8d4d-d4d4d4d4d4d4';
    await uploadSession(served);
    const transcoder = await startTranscoder();
    const notJson = '{"version":1,"type":"chunk",';
    const noSuchSession = JSON.stringify(finalizeJob(TENANT, unknown));
    await send(notJson);
    await send(noSuchSession);
    await send(JSON.stringify(chunkJob(served, 1)));

    await until('the good job to be served', () =>
      events().find((event) => event.type === 'frames.available' && event.session_uuid === served),
    );
    const poison = [notJson, noSuchSession];
    const dead = await until('both poison messages in the dead-letter queue', () => {
      const bodies = queued('jobs-dlq').ready.map((message) => message.body);
      return poison.every((body) => bodies.includes(body)) ? bodies : undefined;
    });
    expect(dead.filter((body) => poison.includes(body))).toHaveLength(2);
    const left = [...queued('jobs').ready, ...queued('jobs').inflight.map((entry) => entry.message)];
    expect(left.filter((message) => poison.includes(message.body))).toHaveLength(0);
    // Each at its first delivery, not after the queue's retries.
    const moved = transcoder.logs.filter((line) => line.msg.startsWith('permanent failure'));
    expect(moved.map((line) => line.attempt)).toEqual([1, 1]);
    // The Worker does not know the session: its failure could be reported to no one, and no event claims it.
    expect(
      reports.filter((report) => report.session_uuid === unknown).map((report) => report.status),
    ).toEqual(['failed']);
    expect(events().filter((event) => event.session_uuid === unknown)).toEqual([]);
    expect(transcoder.child.exitCode).toBeNull();
  });

  it('fails a session with nothing recorded at its first attempt, with a code the tenant can act on', async () => {
    const empty = '0e0e0e0e-0e0e-4e0e-8e0e-0e0e0e0e0e0e';
    const transcoder = await startTranscoder();
    await send(JSON.stringify(finalizeJob(TENANT, empty)));
    const failed = await until('the failure report', () =>
      reports.find((report) => report.session_uuid === empty),
    );
    expect(failed).toMatchObject({ status: 'failed', failure_code: 'no_recording' });
    await until('session.failed', () =>
      events().find((event) => event.type === 'session.failed' && event.session_uuid === empty),
    );
    const done = await transcoder.waitForLog((line) => line.msg === 'job done' && line.sessionId === empty);
    expect(done.attempt).toBe(1);
    await until('the jobs queue to empty', () => queued('jobs').inflight.length === 0 || undefined);
    const everywhere = [...queued('jobs').ready, ...queued('jobs-dlq').ready].map((message) => message.body);
    expect(everywhere.filter((body) => body.includes(empty))).toEqual([]);
  });

  it('keeps a finalize whose report the Worker cannot take (503), and finishes it once the Worker is back', async () => {
    const session = 'a8a8a8a8-a8a8-4a8a-8a8a-a8a8a8a8a8a8';
    await uploadSession(session);
    // Every try of the first attempt's report (the reporter makes four), and none after.
    refusals.set(session, 4);
    const transcoder = await startTranscoder();
    await send(JSON.stringify(finalizeJob(TENANT, session)));
    // The report is retried, then the job fails and its message stays in the queue for redelivery.
    const failed = await transcoder.waitForLog(
      (line) => line.msg === 'job failed' && line.sessionId === session,
    );
    expect(failed.attempt).toBe(1);
    await readyReport(session);
    const done = await transcoder.waitForLog((line) => line.msg === 'job done' && line.sessionId === session);
    expect(done.attempt).toBe(2);
    expect(refusals.get(session)).toBe(0);
    await expectFinishedInQueue(session);
  });

  it('fails a session whose finalize was killed on its last delivery, once, and leaves the message marked in the DLQ', async () => {
    const session = 'b9b9b9b9-b9b9-4b9b-8b9b-b9b9b9b9b9b9';
    await uploadSession(session);
    await send(JSON.stringify(finalizeJob(TENANT, session)));
    // Every delivery dies where the job ends, at its held report: no run can finish or fail by itself.
    // The held reports are let go only at the end, so none of the dead runs' reports is ever taken.
    const held: Array<ReturnType<typeof holdReport>> = [];
    for (let attempt = 1; attempt <= MAX_RECEIVE_COUNT; attempt++) {
      const report = holdReport(session);
      held.push(report);
      const transcoder = await startTranscoder({ CONCURRENCY: '1' });
      await report.arrived;
      const started = await transcoder.waitForLog(
        (line) => line.msg === 'job started' && line.sessionId === session,
      );
      expect(started.attempt).toBe(attempt);
      transcoder.child.kill('SIGKILL');
      await transcoder.exited;
    }
    heldReports.delete(session);

    // SQS moves the message to the DLQ at its next receive; the DLQ reader fails the session.
    const reader = await startTranscoder();
    const failed = await until('the failure report', () =>
      reports.find((report) => report.session_uuid === session),
    );
    expect(failed).toMatchObject({ status: 'failed', failure_code: 'processing_error' });
    expect(failed.reason).toContain('dead-letter queue');
    const marked = await until('the marked message in the DLQ', () =>
      queued('jobs-dlq').ready.find(
        (message) => message.body.includes(session) && message.messageAttributes?.session_failed_reported,
      ),
    );
    expect(JSON.parse(marked.body)).toMatchObject({ type: 'finalize', session_uuid: session });
    // Read again at later polls, it is not reported again.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(reports.filter((report) => report.session_uuid === session)).toHaveLength(1);
    const failedEvents = (list: ServiceEvent[]) =>
      list.filter((event) => event.type === 'session.failed' && event.session_uuid === session);
    expect(failedEvents(events())).toHaveLength(1);
    expect(failedEvents(reportedEvents)).toHaveLength(1);
    const dead = [...queued('jobs-dlq').ready, ...queued('jobs-dlq').inflight.map((entry) => entry.message)];
    expect(dead.filter((message) => message.body.includes(session))).toHaveLength(1);
    expect(reader.logs.filter((line) => line.msg.startsWith('dead finalize reported'))).toHaveLength(1);
    expect(reader.logs.some((line) => line.msg === 'job started' && line.sessionId === session)).toBe(false);
    for (const report of held) report.release();
  });

  it('on SIGTERM stops polling and lets a running job finish within the deadline', async () => {
    const session = 'f6f6f6f6-f6f6-4f6f-8f6f-f6f6f6f6f6f6';
    await uploadSession(session);
    // A deadline no chunk job comes near, even on a loaded machine: the job must finish, not race it. One
    // consumer, busy with the job, so the drain does not also wait out a long poll (half the deadline).
    const transcoder = await startTranscoder({ SHUTDOWN_DEADLINE_SECONDS: '120', CONCURRENCY: '1' });
    await send(JSON.stringify(chunkJob(session, 0)));
    await transcoder.waitForLog((line) => line.msg === 'job started' && line.sessionId === session);
    transcoder.child.kill('SIGTERM');
    expect(await transcoder.exited).toBe(0);
    expect(transcoder.logs.some((line) => line.msg === 'job done' && line.sessionId === session)).toBe(true);
    expect(queued('jobs').ready).toHaveLength(0);
    expect(queued('jobs').inflight).toHaveLength(0);
  });

  it('on SIGTERM stops polling, releases a job it cannot finish by the deadline, and exits', async () => {
    const session = 'e5e5e5e5-e5e5-4e5e-8e5e-e5e5e5e5e5e5';
    await uploadSession(session);
    const transcoder = await startTranscoder({ SHUTDOWN_DEADLINE_SECONDS: '1' });
    // The job cannot finish until the test lets its report through, so it outlasts the deadline.
    const report = holdReport(session);
    await send(JSON.stringify(finalizeJob(TENANT, session)));
    await transcoder.waitForLog((line) => line.msg === 'job started' && line.sessionId === session);
    transcoder.child.kill('SIGTERM');
    await transcoder.waitForLog((line) => line.msg === 'draining');
    expect((await fetch(transcoder.healthUrl)).status).toBe(503);
    expect(await transcoder.exited).toBe(0);
    report.release();
    // Released, not left invisible: it is ready for the next transcoder at once.
    expect(queued('jobs').ready.map((message) => JSON.parse(message.body).session_uuid)).toEqual([session]);
    expect(transcoder.logs.some((line) => line.msg === 'message released for redelivery')).toBe(true);

    await startTranscoder();
    await readyReport(session);
  });
});

describe('a dependency stalled during a job', () => {
  it('S3 and SQS stalled mid-job: the job fails within its time limits, keeps its message, and completes once they return', async () => {
    const session = '7c7c7c7c-7c7c-4c7c-8c7c-7c7c7c7c7c7c';
    await uploadSession(session);
    const proxy = await startStallProxy(`http://127.0.0.1:${fauxqs.port}`);
    try {
      const transcoder = await startTranscoder({
        S3_ENDPOINT: proxy.url,
        SQS_ENDPOINT: proxy.url,
        UPSTREAM_TIMEOUT_SECONDS: '1',
        CONCURRENCY: '1',
      });
      // The outage begins at the job's first segment upload, so it falls inside the job by construction.
      const stalled = proxy.stallAt(
        (request) =>
          request.method === 'PUT' &&
          /\/processed\/.*\.ts$/.test(new URL(request.url ?? '', proxy.url).pathname),
      );
      await send(JSON.stringify(chunkJob(session, 0)));
      await stalled;
      const failed = await transcoder.waitForLog(
        (line) => line.msg === 'job failed' && line.sessionId === session,
        60_000,
      );
      expect(failed.attempt).toBe(1);
      expect(proxy.held()).toBeGreaterThan(0);
      // Nothing could delete it: the message is still the queue's, in flight until its visibility ends.
      const { ready, inflight } = queued('jobs');
      expect(ready.length + inflight.length).toBe(1);

      proxy.restore();
      const done = await transcoder.waitForLog(
        (line) => line.msg === 'job done' && line.sessionId === session,
        60_000,
      );
      expect(done.attempt).toBe(2);
      const cache = `${sessionPrefix(TENANT, session)}screenshare/processed/playlist_cache/chunks/`;
      expect(await storage.list(cache)).toHaveLength(1);
      await expectFinishedInQueue(session);
      expect(queued('jobs').ready).toHaveLength(0);
    } finally {
      await proxy.close();
    }
  });
});
