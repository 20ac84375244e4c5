/**
 * `npm run bench:transcode` — the transcoder's throughput and footprint, in one run:
 *
 * 1. A 10-minute 1080p screen-like VFR session (120 VP8 chunks of 5 s, generated once into
 *    `.local/bench/transcode/`) goes through `node transcoder/main.ts` as 120 chunk jobs on a local
 *    S3 + SQS (fauxqs, in this process), 2 ffmpeg runs and 3 jobs at a time: realtime factor of chunk
 *    processing (3 renditions, frames and thumbnails, uploads, index and live playlists included).
 * 2. The same input through one plain ffmpeg one-pass ladder (one `split=3` filter graph to 360/480/720p
 *    H.264, veryfast, capped CRF 23, VFR, HLS fMP4): the reference,
 *    right before and right after chunk processing, as the machine's speed drifts.
 * 3. Finalize of the processed 10-minute session, and of a 60-minute one synthesized from it (its segments
 *    reused, re-timestamped into place, with index entries): time until the playlists are written, then
 *    until storyboard and stitched MP4 are done.
 * Peak RSS is sampled from /proc every 100 ms over the transcoder's whole process tree (Node and its ffmpeg
 * children), per phase, so finalize at 10 and 60 minutes shows whether memory grows with session length.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startFauxqs } from 'fauxqs';
import { formatChunkName, RENDITIONS } from '../contracts/storage.ts';
import { makeChunk } from '../test/support/chunks.ts';
import { chunkJob, finalizeJob } from '../test/support/jobs.ts';
import { TRANSCODER_ENV, TRANSCODER_NODE_ARGS } from '../transcoder/launch.ts';
import { SEGMENT_MUXING } from '../transcoder/media/encoder.ts';
import { mapLimit } from '../transcoder/parallel.ts';
import { assetKeys } from '../transcoder/storage/layout.ts';
import { ChunkEntry } from '../transcoder/storage/records.ts';
import { createStorage } from '../transcoder/storage/s3.ts';
import { chunkStem } from '../transcoder/storage/segments.ts';
import { cpuSeconds } from './proc-cpu.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..');
const CACHE = join(ROOT, '.local/bench/transcode');
const TENANT = '6c5b4a39-2817-4f6e-9d5c-4b3a29181706';
const SHORT = '10101010-1010-4010-8010-101010101010';
const LONG = '60606060-6060-4060-8060-606060606060';
const T0 = 1_764_158_400_000;
const CHUNKS = 120;
const CHUNK_MS = 5000;
const CYCLES = 6;
const MB = 1024 * 1024;

interface GeneratedChunk {
  seq: number;
  startMs: number;
  durationMs: number;
  file: string;
}

/** A seeded generator, so the cached session and the synthesized one never change between runs. */
function seeded(seed: number) {
  let state = seed;
  return () => {
    state = (state * 16_807) % 2_147_483_647;
    return state / 2_147_483_647;
  };
}

/** The 10-minute session: chunks start 13–46 ms after the previous one ends, and end idle 0–1.2 s early. */
async function generateSession(): Promise<GeneratedChunk[]> {
  const dir = join(CACHE, 'session-10min');
  await mkdir(dir, { recursive: true });
  const random = seeded(7);
  let startMs = T0;
  const plan = Array.from({ length: CHUNKS }, (_, seq) => {
    const chunk = { seq, startMs, durationMs: CHUNK_MS, contentSec: 3.8 + random() * 1.2 };
    startMs += CHUNK_MS + 13 + Math.floor(random() * 34);
    return chunk;
  });
  const missing = plan.filter((c) => !existsSync(join(dir, `${c.seq}.webm`)));
  if (missing.length > 0)
    console.error(`generating ${missing.length} chunks of 1080p VFR VP8 into ${dir} (once)…`);
  await mapLimit(missing, 2, (c) =>
    makeChunk(dir, {
      name: `${c.seq}.webm`,
      codec: 'vp8',
      width: 1920,
      height: 1080,
      durationSec: c.durationMs / 1000,
      contentSec: c.contentSec,
      fps: 15,
      vfr: true,
    }),
  );
  return plan.map((c) => ({
    seq: c.seq,
    startMs: c.startMs,
    durationMs: c.durationMs,
    file: join(dir, `${c.seq}.webm`),
  }));
}

interface Footprint {
  /** The Node process. */
  self: number;
  /** The largest single child (an ffmpeg run). */
  child: number;
  /** Node and all its children at once: the sum of their RSS, which counts shared library pages once per process. */
  tree: number;
  /**
   * The same sum of PSS (proportional set size, smaps_rollup): each shared page split between the processes
   * that map it, so library pages shared by two ffmpeg runs count once. An approximation of the tree's own
   * resident memory: page cache (the work directory's files) is not in it, and pages shared with processes
   * outside the tree are split with them.
   */
  treePss: number;
  /**
   * Node and its children with every resident page counted once: each process's private pages, plus for
   * each file mapping they share (the same file and offset: ffmpeg's libraries in two runs) the most any
   * of them has resident — so, unlike PSS, pages shared with processes outside the tree count in full. What
   * a container holding only the transcoder keeps resident, page cache aside. Read from full smaps, which
   * costs CPU, so sampled once a second rather than every 100 ms.
   */
  treeOnce: number;
}

/** Resident memory of a process, of its largest descendant and of all of them together, from /proc. */
function treeRss(root: number, withOnce: boolean): Footprint {
  const parent = new Map<number, number>();
  const rss = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the parenthesised command: state, ppid, … rss is the 22nd of them (proc(5)).
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(entry), Number(fields[1]));
      rss.set(Number(entry), Number(fields[21]) * 4096);
    } catch {
      // The process ended while the table was read.
    }
  }
  const inTree = (pid: number): boolean => pid === root || (parent.has(pid) && inTree(parent.get(pid) ?? 0));
  let tree = 0;
  let child = 0;
  let treePss = 0;
  const members: number[] = [];
  for (const [pid, bytes] of rss) {
    if (!inTree(pid)) continue;
    tree += bytes;
    treePss += pss(pid);
    members.push(pid);
    if (pid !== root) child = Math.max(child, bytes);
  }
  return { self: rss.get(root) ?? 0, child, tree, treePss, treeOnce: withOnce ? residentOnce(members) : 0 };
}

// A mapping's header line in /proc/<pid>/smaps: address range, permissions, offset, device, inode, path.
const SMAPS_HEADER = /^[0-9a-f]+-[0-9a-f]+ \S+ ([0-9a-f]+) (\S+) (\d+)/;
const SMAPS_FIELD = /^(Private_Clean|Private_Dirty|Shared_Clean|Shared_Dirty):\s+(\d+) kB/;

/** Bytes resident in `pids` with each page once (see `Footprint.treeOnce`); ended processes add 0. */
function residentOnce(pids: number[]): number {
  let privateKb = 0;
  const sharedKb = new Map<string, number>();
  for (const pid of pids) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/smaps`, 'utf8');
    } catch {
      continue;
    }
    const mine = new Map<string, number>();
    let mapping = '';
    for (const line of text.split('\n')) {
      const header = SMAPS_HEADER.exec(line);
      if (header) {
        // A file mapping holds the same pages in every process mapping that file at that offset; an
        // anonymous one (inode 0) is its own.
        const [, offset, device, inode] = header;
        mapping =
          inode === '0' ? `${pid}:${line.slice(0, line.indexOf(' '))}` : `${device}:${inode}:${offset}`;
        continue;
      }
      const field = SMAPS_FIELD.exec(line);
      if (!field) continue;
      const kb = Number(field[2]);
      if (field[1]?.startsWith('Private')) privateKb += kb;
      else mine.set(mapping, (mine.get(mapping) ?? 0) + kb);
    }
    for (const [key, kb] of mine) sharedKb.set(key, Math.max(sharedKb.get(key) ?? 0, kb));
  }
  let total = privateKb;
  for (const kb of sharedKb.values()) total += kb;
  return total * 1024;
}

/** A process's proportional set size in bytes, 0 when it has ended. */
function pss(pid: number): number {
  try {
    const kb = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1];
    return Number(kb ?? 0) * 1024;
  } catch {
    return 0;
  }
}

/** The largest footprint seen between `start()` and `stop()`. */
function rssSampler(pid: number) {
  let peak: Footprint = { self: 0, child: 0, tree: 0, treePss: 0, treeOnce: 0 };
  let timer: NodeJS.Timeout | undefined;
  return {
    start() {
      peak = { self: 0, child: 0, tree: 0, treePss: 0, treeOnce: 0 };
      let tick = 0;
      timer = setInterval(() => {
        const now = treeRss(pid, tick++ % 10 === 0);
        peak = {
          self: Math.max(peak.self, now.self),
          child: Math.max(peak.child, now.child),
          tree: Math.max(peak.tree, now.tree),
          treePss: Math.max(peak.treePss, now.treePss),
          treeOnce: Math.max(peak.treeOnce, now.treeOnce),
        };
      }, 100);
    },
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}

type LogLine = Record<string, unknown> & { msg: string; time: string };

async function main() {
  const chunks = await generateSession();
  const runDir = await mkdtemp(join(CACHE, 'run-'));
  const fauxqs = await startFauxqs({ port: 0, logger: false, s3StorageDir: join(runDir, 's3') });
  const status = createServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(204).end());
  });
  await new Promise<void>((resolve) => status.listen(0, '127.0.0.1', resolve));
  let transcoder: ChildProcess | undefined;
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

    const child = spawn(process.execPath, TRANSCODER_NODE_ARGS, {
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
        // The defaults on 2 cores, spelled out: two ffmpeg runs at a time, one job more to overlap transfers.
        MEDIA_SLOTS: '2',
        CONCURRENCY: '3',
        HEALTH_PORT: '0',
        WORK_DIR: join(runDir, 'work'),
        SHUTDOWN_DEADLINE_SECONDS: '2',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    transcoder = child;
    const logs: LogLine[] = [];
    let wake = () => {};
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      logs.push(JSON.parse(line));
      wake();
    });
    const waitFor = async (what: string, done: () => boolean) => {
      while (!done()) {
        const failure = logs.find((line) => line.msg === 'job failed');
        if (failure) throw new Error(`${what}: a job failed: ${failure.error}`);
        if (child.exitCode !== null) throw new Error(`${what}: the transcoder exited`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 1000);
        });
      }
    };
    await waitFor('start', () => logs.some((line) => line.msg === 'polling the jobs queue'));
    const sampler = rssSampler(child.pid ?? 0);

    // 1. Chunk processing.
    const planned = chunks.map((c) => ({
      file: c.file,
      job: chunkJob(TENANT, SHORT, 'screenshare', { ...c, ext: 'webm' }),
    }));
    await mapLimit(planned, 8, async ({ file, job }) => put(job.key, await readFile(file)));
    const jobs = planned.map(({ job }) => job);
    const last = chunks.at(-1) as GeneratedChunk;
    const sessionSec = (last.startMs + last.durationMs - T0) / 1000;
    console.error(
      `processing ${CHUNKS} chunks (${sessionSec.toFixed(1)} s of 1080p) through the transcoder…`,
    );
    // The reference right before and right after chunk processing: the machine's speed drifts by a
    // tenth or more within minutes, so chunk processing is read against both.
    console.error('running the one-pass ffmpeg ladder on the same input…');
    const referenceBefore = await referenceLadder(chunks, runDir, 'before');
    sampler.start();
    const chunkStart = performance.now();
    const chunkCpuStart = cpuSeconds(child.pid ?? 0);
    // This process serves S3 and SQS (fauxqs) and samples /proc on the same two cores; in production the
    // storage and the queue are elsewhere.
    const benchCpuStart = process.cpuUsage();
    for (let i = 0; i < jobs.length; i += 10) {
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: jobsQueue.queueUrl,
          Entries: jobs
            .slice(i, i + 10)
            .map((job, j) => ({ Id: String(j), MessageBody: JSON.stringify(job) })),
        }),
      );
    }
    const doneChunks = () =>
      logs.filter((line) => line.msg === 'job done' && line.jobType === 'chunk').length;
    await waitFor('chunk processing', () => doneChunks() === CHUNKS);
    const chunkSec = (performance.now() - chunkStart) / 1000;
    const chunkCpuEnd = cpuSeconds(child.pid ?? 0);
    const chunkCpu = {
      node: chunkCpuEnd.self - chunkCpuStart.self,
      ffmpeg: chunkCpuEnd.children - chunkCpuStart.children,
    };
    const chunkCpuSec = chunkCpu.node + chunkCpu.ffmpeg;
    const benchCpu = process.cpuUsage(benchCpuStart);
    const benchCpuSec = (benchCpu.user + benchCpu.system) / 1e6;
    const chunkRss = sampler.stop();
    console.error('running the one-pass ffmpeg ladder again…');
    const referenceAfter = await referenceLadder(chunks, runDir, 'after');

    // 3. Finalize: the 10-minute session as processed, then a 60-minute one built from it.
    const finalize = async (session: string) => {
      const job = finalizeJob(TENANT, session);
      sampler.start();
      await sqs.send(
        new SendMessageCommand({ QueueUrl: jobsQueue.queueUrl, MessageBody: JSON.stringify(job) }),
      );
      const mine = (msg: string) => logs.find((line) => line.msg === msg && line.sessionId === session);
      await waitFor(`finalize ${session}`, () => mine('session ready') !== undefined);
      const rss = sampler.stop();
      const at = (msg: string) => Date.parse(mine(msg)?.time ?? '');
      return {
        playlistsSec: Number(mine('playlists ready')?.elapsedMs) / 1000,
        storyboardSec: (at('storyboard written') - at('playlists ready')) / 1000,
        stitchSec: (at('stitched video written') - at('storyboard written')) / 1000,
        totalSec: Number(mine('session ready')?.elapsedMs) / 1000,
        rss,
      };
    };
    console.error('finalizing the 10-minute session…');
    const short = await finalize(SHORT);

    console.error(`synthesizing a ${CYCLES * 10}-minute processed session from it…`);
    await synthesizeLong({ storage, put, runDir, sessionSec });
    console.error(`finalizing the ${CYCLES * 10}-minute session…`);
    const long = await finalize(LONG);

    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    transcoder = undefined;

    const mb = (bytes: number) => `${Math.round(bytes / MB)} MB`;
    const speed = (r: { seconds: number; cpuSeconds: number }) =>
      `${(sessionSec / r.seconds).toFixed(1)}× (${r.seconds.toFixed(1)} s, ${r.cpuSeconds.toFixed(0)} CPU-s)`;
    const rows: [string, string, string][] = [
      [
        `chunk processing: ${CHUNKS} × 5 s 1080p VFR, 3 renditions + frames, 2 ffmpeg runs and 3 jobs at a time`,
        `${(sessionSec / chunkSec).toFixed(1)}× realtime (${sessionSec.toFixed(0)} s in ${chunkSec.toFixed(1)} s)`,
        '≥ 8×',
      ],
      [
        `the same, by CPU time on ${cpus().length} cores (${chunkCpuSec.toFixed(0)} CPU-s: ffmpeg ${chunkCpu.ffmpeg.toFixed(0)}, Node ${chunkCpu.node.toFixed(0)}; less sensitive to other load)`,
        `${((sessionSec * cpus().length) / chunkCpuSec).toFixed(1)}× realtime`,
        '≥ 8×',
      ],
      [
        'meanwhile the benchmark process (local S3 and SQS by fauxqs, /proc sampling) on the same cores; cores busy',
        `${benchCpuSec.toFixed(0)} CPU-s; ${((100 * (chunkCpuSec + benchCpuSec)) / (chunkSec * cpus().length)).toFixed(0)} % of the time`,
        '—',
      ],
      [
        'reference: one plain ffmpeg one-pass ladder (360/480/720p, veryfast), right before and right after',
        `${[referenceBefore, referenceAfter].map(speed).join(', then ')}; peak RSS ${mb(Math.max(referenceBefore.rss, referenceAfter.rss))}`,
        '—',
      ],
      [
        'chunk processing ÷ reference (wall, against the mean of the two)',
        ((referenceBefore.seconds + referenceAfter.seconds) / 2 / chunkSec).toFixed(2),
        '—',
      ],
      [
        'peak memory during chunk processing: Node + 2 ffmpeg at once, sum of RSS (Node; largest ffmpeg)',
        `${mb(chunkRss.tree)} (${mb(chunkRss.self)}; ${mb(chunkRss.child)})`,
        '≤ 400 MB',
      ],
      [
        'the same, sum of PSS (shared pages split between the processes mapping them)',
        mb(chunkRss.treePss),
        '≤ 400 MB',
      ],
      ['the same, each resident page once (sampled every second)', mb(chunkRss.treeOnce), '≤ 400 MB'],
      ['finalize 10 min: playlists ready', `${short.playlistsSec.toFixed(2)} s`, ''],
      [
        'finalize 10 min: segments fetched + storyboard, then stitched MP4 + upload',
        `${short.storyboardSec.toFixed(1)} s + ${short.stitchSec.toFixed(1)} s (all done ${short.totalSec.toFixed(1)} s)`,
        '',
      ],
      [
        `finalize ${CYCLES * 10} min (already processed): playlists ready`,
        `${long.playlistsSec.toFixed(2)} s`,
        '≤ 5 s',
      ],
      [
        `finalize ${CYCLES * 10} min: segments fetched + storyboard, then stitched MP4 + upload`,
        `${long.storyboardSec.toFixed(1)} s + ${long.stitchSec.toFixed(1)} s (all done ${long.totalSec.toFixed(1)} s)`,
        'reported',
      ],
      [
        `peak RSS finalize 10 min → ${CYCLES * 10} min: Node + ffmpeg (Node; largest ffmpeg)`,
        `${mb(short.rss.tree)} → ${mb(long.rss.tree)} (${mb(short.rss.self)} → ${mb(long.rss.self)}; ${mb(short.rss.child)} → ${mb(long.rss.child)}); PSS ${mb(short.rss.treePss)} → ${mb(long.rss.treePss)}; each page once ${mb(short.rss.treeOnce)} → ${mb(long.rss.treeOnce)}`,
        '≤ 400 MB, flat',
      ],
    ];
    const load = loadavg().map((l) => l.toFixed(2));
    console.log(
      `\ntranscoder benchmark — ${new Date().toISOString()}, ${cpus().length} × ${cpus()[0]?.model}`,
    );
    console.log(`load average at the end: ${load.join(' ')} (other work on the machine skews the numbers)\n`);
    console.log('| measure | result | target |\n|---|---|---|');
    for (const [measure, result, target] of rows) console.log(`| ${measure} | ${result} | ${target} |`);
  } finally {
    if (transcoder && transcoder.exitCode === null) transcoder.kill('SIGKILL');
    await fauxqs.stop();
    status.close();
    await rm(runDir, { recursive: true, force: true });
  }
}

/**
 * A processed 60-minute session: the 10-minute session's chunks repeated six times, one cycle after the
 * other on the frame grid, each with its index entry and its segments re-timestamped into place (cached
 * under `.local/bench/transcode/long-segments/`). Raw chunks are listed only, so they are empty objects.
 */
async function synthesizeLong(o: {
  storage: ReturnType<typeof createStorage>;
  put: (key: string, body: Buffer | string) => Promise<unknown>;
  runDir: string;
  sessionSec: number;
}) {
  const from = assetKeys({ tenantId: TENANT, sessionId: SHORT, asset: 'screenshare' });
  const to = assetKeys({ tenantId: TENANT, sessionId: LONG, asset: 'screenshare' });
  const profile = await o.storage.getText(from.profile);
  if (!profile) throw new Error('the 10-minute session has no profile');
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
      const seq = entry.seq + cycle * CHUNKS;
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

/**
 * The reference: one ffmpeg run making the whole ladder from the session joined into one file (joined
 * once, not timed).
 */
async function referenceLadder(chunks: GeneratedChunk[], runDir: string, label: string) {
  const input = join(CACHE, 'session-10min.webm');
  if (!existsSync(input)) {
    const list = join(runDir, 'concat.txt');
    // A duration per file from the recorded starts, so the joined file keeps the session's timeline.
    await writeFile(
      list,
      chunks
        .map((c, i) => {
          const next = chunks[i + 1];
          return `file '${c.file}'\nduration ${((next ? next.startMs : c.startMs + c.durationMs) - c.startMs) / 1000}\n`;
        })
        .join(''),
    );
    await run('ffmpeg', ['-v', 'error', '-f', 'concat', '-safe', '0', '-i', list, '-c', 'copy', '-y', input]);
  }
  const out = join(runDir, `reference-${label}`);
  await mkdir(out, { recursive: true });
  const started = performance.now();
  const { stderr } = await run('/usr/bin/time', [
    '-f',
    'peak-rss-kb=%M cpu=%U+%S',
    'ffmpeg',
    '-v',
    'error',
    '-i',
    input,
    '-fps_mode',
    'vfr',
    '-filter_complex',
    '[0:v]split=3[a][b][c];[a]scale=-2:360[v360];[b]scale=-2:480[v480];[c]scale=-2:720[v720]',
    '-map',
    '[v360]',
    '-map',
    '[v480]',
    '-map',
    '[v720]',
    '-c:v',
    'libx264',
    '-pix_fmt',
    'yuv420p',
    '-preset',
    'veryfast',
    '-crf',
    '23',
    '-maxrate:v:0',
    '800k',
    '-bufsize:v:0',
    '1600k',
    '-maxrate:v:1',
    '1400k',
    '-bufsize:v:1',
    '2800k',
    '-maxrate:v:2',
    '2800k',
    '-bufsize:v:2',
    '5600k',
    '-force_key_frames',
    'expr:gte(t,n_forced*6)',
    '-sc_threshold',
    '0',
    '-f',
    'hls',
    '-hls_time',
    '6',
    '-hls_playlist_type',
    'vod',
    '-hls_segment_type',
    'fmp4',
    '-hls_flags',
    'independent_segments',
    '-master_pl_name',
    'master.m3u8',
    '-var_stream_map',
    'v:0,name:360p v:1,name:480p v:2,name:720p',
    '-hls_segment_filename',
    join(out, '%v/seg_%03d.m4s'),
    join(out, '%v/index.m3u8'),
  ]);
  const seconds = (performance.now() - started) / 1000;
  const cpu = /cpu=([\d.]+)\+([\d.]+)/.exec(stderr);
  return {
    seconds,
    cpuSeconds: Number(cpu?.[1] ?? 0) + Number(cpu?.[2] ?? 0),
    rss: Number(/peak-rss-kb=(\d+)/.exec(stderr)?.[1] ?? 0) * 1024,
  };
}

await main();
