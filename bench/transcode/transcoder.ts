/**
 * The transcoder process (`transcoder/launch.ts`) on a local S3 + SQS (fauxqs, in this process), driven
 * with chunk and finalize jobs as the Worker sends them, its structured log read for progress.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startFauxqs } from 'fauxqs';
import { formatChunkName, RENDITIONS } from '../../contracts/storage.ts';
import { chunkJob, finalizeJob } from '../../test/support/jobs.ts';
import { TRANSCODER_ENV, TRANSCODER_NODE_ARGS } from '../../transcoder/launch.ts';
import { SEGMENT_MUXING } from '../../transcoder/media/encoder.ts';
import { mapLimit } from '../../transcoder/parallel.ts';
import { assetKeys } from '../../transcoder/storage/layout.ts';
import { ChunkEntry } from '../../transcoder/storage/records.ts';
import { createStorage } from '../../transcoder/storage/s3.ts';
import { chunkStem } from '../../transcoder/storage/segments.ts';
import { cpuSeconds } from '../proc-cpu.ts';
import { type Footprint, rssSampler } from './footprint.ts';
import { CACHE, type SessionChunk } from './recording.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '../..');
export const TENANT = '6c5b4a39-2817-4f6e-9d5c-4b3a29181706';
export const CYCLES = 6;

type LogLine = Record<string, unknown> & { msg: string; time: string };

/** What the chunk jobs cost: wall time, the transcoder's CPU, this process's CPU meanwhile, peak memory. */
export interface ChunkPhase {
  seconds: number;
  cpu: { node: number; ffmpeg: number };
  benchCpuSec: number;
  rss: Footprint;
}

/**
 * One finalize, from the transcoder's log: until the playlists are written and the session reported
 * ready; then storyboard and stitched MP4 written (seconds after ready); the job done; and peak memory.
 */
export interface FinalizePhase {
  playlistsSec: number;
  readySec: number;
  storyboardSec: number;
  stitchSec: number;
  totalSec: number;
  rss: Footprint;
}

/**
 * Starts fauxqs, a status endpoint answering 204, and the transcoder with the defaults of 2 cores
 * (two ffmpeg runs at a time, one job more to overlap transfers). `stop()` ends all three.
 */
export async function startLocalTranscoder(runDir: string) {
  const fauxqs = await startFauxqs({ port: 0, logger: false, s3StorageDir: join(runDir, 's3') });
  const status = createServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(204).end());
  });
  await new Promise<void>((resolve) => status.listen(0, '127.0.0.1', resolve));
  let child: ChildProcess | undefined;
  const stop = async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child?.once('exit', resolve));
    }
    await fauxqs.stop();
    status.close();
  };
  try {
    fauxqs.createBucket('recordings');
    const jobsQueue = fauxqs.createQueue('jobs', { attributes: { VisibilityTimeout: '120' } });
    const eventsQueue = fauxqs.createQueue('events');
    const endpoint = `http://127.0.0.1:${fauxqs.port}`;
    const credentials = { accessKeyId: 'bench', secretAccessKey: 'bench' };
    const s3 = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials });
    const sqs = new SQSClient({ region: 'us-east-1', endpoint, credentials });
    const storage = createStorage(s3, 'recordings');
    const put = (key: string, body: Buffer | string) =>
      s3.send(new PutObjectCommand({ Bucket: 'recordings', Key: key, Body: body }));

    child = spawn(process.execPath, TRANSCODER_NODE_ARGS, {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        ...TRANSCODER_ENV,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'bench',
        AWS_SECRET_ACCESS_KEY: 'bench',
        S3_ENDPOINT: endpoint,
        S3_BUCKET: 'recordings',
        SQS_ENDPOINT: endpoint,
        JOBS_QUEUE_URL: jobsQueue.queueUrl,
        EVENTS_QUEUE_URL: eventsQueue.queueUrl,
        IES_API_BASE: `http://127.0.0.1:${(status.address() as AddressInfo).port}`,
        INTERNAL_TOKEN: 'b'.repeat(32),
        MEDIA_SLOTS: '2',
        CONCURRENCY: '3',
        HEALTH_PORT: '0',
        WORK_DIR: join(runDir, 'work'),
        SHUTDOWN_DEADLINE_SECONDS: '2',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const transcoder = child;
    const pid = transcoder.pid ?? 0;
    const logs: LogLine[] = [];
    let wake = () => {};
    createInterface({ input: transcoder.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      logs.push(JSON.parse(line));
      wake();
    });
    const waitFor = async (what: string, done: () => boolean) => {
      while (!done()) {
        const failure = logs.find((line) => line.msg === 'job failed');
        if (failure) throw new Error(`${what}: a job failed: ${failure.error}`);
        if (transcoder.exitCode !== null) throw new Error(`${what}: the transcoder exited`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 1000);
        });
      }
    };
    await waitFor('start', () => logs.some((line) => line.msg === 'polling the jobs queue'));
    const sampler = rssSampler(pid);

    return {
      stop,
      /** Uploads the chunks of `session` (not timed), then times their chunk jobs until the last is done. */
      async processChunks(session: string, chunks: SessionChunk[]): Promise<ChunkPhase> {
        const planned = chunks.map((c) => ({
          file: c.file,
          job: chunkJob(TENANT, session, 'screenshare', {
            ...c,
            ext: c.file.endsWith('.mp4') ? 'mp4' : 'webm',
          }),
        }));
        await mapLimit(planned, 8, async ({ file, job }) => put(job.key, await readFile(file)));
        sampler.start();
        const started = performance.now();
        const cpuStart = cpuSeconds(pid);
        // This process serves S3 and SQS (fauxqs) and samples /proc on the same two cores; in production
        // the storage and the queue are elsewhere.
        const benchCpuStart = process.cpuUsage();
        for (let i = 0; i < planned.length; i += 10) {
          await sqs.send(
            new SendMessageBatchCommand({
              QueueUrl: jobsQueue.queueUrl,
              Entries: planned
                .slice(i, i + 10)
                .map(({ job }, j) => ({ Id: String(j), MessageBody: JSON.stringify(job) })),
            }),
          );
        }
        const done = () => logs.filter((line) => line.msg === 'job done' && line.jobType === 'chunk').length;
        await waitFor('chunk processing', () => done() === planned.length);
        const seconds = (performance.now() - started) / 1000;
        const cpuEnd = cpuSeconds(pid);
        const benchCpu = process.cpuUsage(benchCpuStart);
        return {
          seconds,
          cpu: { node: cpuEnd.self - cpuStart.self, ffmpeg: cpuEnd.children - cpuStart.children },
          benchCpuSec: (benchCpu.user + benchCpu.system) / 1e6,
          rss: sampler.stop(),
        };
      },
      /** Finalizes `session` and times it from the transcoder's log. */
      async finalize(session: string): Promise<FinalizePhase> {
        const job = finalizeJob(TENANT, session);
        sampler.start();
        await sqs.send(
          new SendMessageCommand({ QueueUrl: jobsQueue.queueUrl, MessageBody: JSON.stringify(job) }),
        );
        const mine = (msg: string) =>
          logs.find((line) => line.msg === msg && line.sessionId === session && line.jobType === 'finalize');
        await waitFor(`finalize ${session}`, () => mine('job done') !== undefined);
        const rss = sampler.stop();
        const afterReady = (msg: string) =>
          (Date.parse(mine(msg)?.time ?? '') - Date.parse(mine('session ready')?.time ?? '')) / 1000;
        return {
          playlistsSec: Number(mine('playlists ready')?.elapsedMs) / 1000,
          readySec: Number(mine('session ready')?.elapsedMs) / 1000,
          storyboardSec: afterReady('storyboard written'),
          stitchSec: afterReady('stitched video written'),
          totalSec: Number(mine('job done')?.elapsedMs) / 1000,
          rss,
        };
      },
      /** See `synthesizeLong`. */
      synthesizeLong: (from: string, to: string, sessionSec: number) =>
        synthesizeLong({ storage, put, runDir, from, to, sessionSec }),
    };
  } catch (error) {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await stop();
    throw error;
  }
}

/**
 * A processed session `to` six times as long as `from`: `from`'s chunks repeated six times, one cycle
 * after the other on the frame grid, each with its index entry and its segments re-timestamped into place
 * (cached under `.local/bench/transcode/long-segments/`). Raw chunks are listed only, so they are empty
 * objects.
 */
async function synthesizeLong(o: {
  storage: ReturnType<typeof createStorage>;
  put: (key: string, body: Buffer | string) => Promise<unknown>;
  runDir: string;
  from: string;
  to: string;
  sessionSec: number;
}) {
  const from = assetKeys({ tenantId: TENANT, sessionId: o.from, asset: 'screenshare' });
  const to = assetKeys({ tenantId: TENANT, sessionId: o.to, asset: 'screenshare' });
  const profile = await o.storage.getText(from.profile);
  if (!profile) throw new Error(`session ${o.from} has no profile`);
  await o.put(to.profile, profile);
  const entries = await mapLimit(
    (await o.storage.list(from.chunkEntries)).map((object) => object.key),
    16,
    async (key) => ChunkEntry.parse(JSON.parse((await o.storage.getText(key)) ?? '')),
  );
  const { fps } = JSON.parse(profile) as { fps: number };
  // Whole tenths of a second, so every cycle lands on the frame grid.
  const cycleMs = Math.ceil((o.sessionSec * 1000 + 30) / 100) * 100;
  const segmentsDir = join(CACHE, 'long-segments');
  const sourceDir = join(o.runDir, 'short-segments');
  await mapLimit(entries, 2, async (entry) => {
    const name = chunkStem(entry.key.slice(from.raw.length));
    for (const rendition of RENDITIONS) {
      await mkdir(join(sourceDir, rendition), { recursive: true });
      await mkdir(join(segmentsDir, rendition), { recursive: true });
      await o.storage.download(from.segment(rendition, name), join(sourceDir, rendition, `${name}.ts`));
    }
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const startMs = entry.start_ms + cycle * cycleMs;
      const seq = entry.seq + cycle * entries.length;
      const fileName = formatChunkName({ seq, startMs, durationMs: entry.duration_ms, ext: 'webm' });
      for (const rendition of RENDITIONS) {
        const target = join(segmentsDir, rendition, `${chunkStem(fileName)}.ts`);
        if (!existsSync(target)) {
          await run('ffmpeg', [
            '-v',
            'error',
            '-copyts',
            '-i',
            join(sourceDir, rendition, `${name}.ts`),
            '-map',
            '0',
            '-c',
            'copy',
            '-output_ts_offset',
            String((cycle * cycleMs) / 1000),
            ...SEGMENT_MUXING,
            '-y',
            target,
          ]);
        }
        await o.put(to.segment(rendition, chunkStem(fileName)), await readFile(target));
      }
      const shifted: ChunkEntry = {
        ...entry,
        key: `${to.raw}${fileName}`,
        seq,
        start_ms: startMs,
        span: { start: entry.span.start + (cycle * cycleMs * fps) / 1000, frames: entry.span.frames },
        frame_keys: [],
        thumbnail_keys: [],
      };
      await o.put(shifted.key, 'x');
      await o.put(to.chunkEntry(fileName), JSON.stringify(shifted));
    }
  });
}
