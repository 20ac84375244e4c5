/**
 * The finished package of a session with every timeline hazard at once, built by the real job handlers
 * against fauxqs (S3 and SQS) and real ffmpeg, and checked with hls-parser, ffprobe and ffmpeg.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { type FauxqsServer, startFauxqs } from 'fauxqs';
import HLS from 'hls-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceEvent, SessionStatusReport } from '../../contracts/jobs.ts';
import { type Asset, formatChunkName, rawPrefix, sessionPrefix } from '../../contracts/storage.ts';
import { runJob } from '../../transcoder/jobs/index.ts';
import { createJsonLogger } from '../../transcoder/log.ts';
import { createReporter } from '../../transcoder/report.ts';
import { assetKeys } from '../../transcoder/storage/layout.ts';
import { ChunkEntry, UndecodableEntry } from '../../transcoder/storage/records.ts';
import { createStorage, type Storage } from '../../transcoder/storage/s3.ts';
import { makeChunk, makeUndecodableChunk, recordMediaRecorderChunks } from '../support/chunks.ts';
import { LIMITED_BT709, videoColour } from '../support/colour.ts';
import { chunkJob as chunkJobOf, finalizeJob } from '../support/jobs.ts';
import { blackSpans, media as mediaRunner, topLevelBoxes } from '../support/media.ts';

const run = promisify(execFile);
const TENANT = '3f1c2b4a-8d7e-4f60-9a1b-2c3d4e5f6a7b';
const FRAME_SEC = 0.1;
const T0 = 1_764_158_400_123;

interface PlannedChunk {
  asset: Asset;
  seq: number;
  offsetMs: number;
  durationMs: number;
  file: string;
}

let fauxqs: FauxqsServer;
let s3: S3Client;
let storage: Storage;
let statusServer: Server;
let work: string;
const reports: SessionStatusReport[] = [];
/** The events the transcoder reported to the stand-in Worker (for webhooks), beside the events queue. */
const reportedEvents: ServiceEvent[] = [];
/**
 * What the stand-in Worker does with a session's ready report before it answers. The transcoder waits for
 * the answer, so what this sees in storage is what was there when the session was reported ready.
 */
const onReady = new Map<string, (report: SessionStatusReport) => Promise<void>>();
let services: Parameters<typeof runJob>[0];
let chunks: PlannedChunk[];

/** ffprobe's JSON for a file. */
async function probe(file: string, entries: string, extra: string[] = []) {
  const { stdout } = await run(
    'ffprobe',
    ['-v', 'error', ...extra, '-show_entries', entries, '-of', 'json', file],
    {
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  return JSON.parse(stdout);
}

/** Copies every object under a prefix into a local folder, keeping the relative paths. */
async function downloadTree(prefix: string, into: string): Promise<string[]> {
  const keys = (await storage.list(prefix)).map((object) => object.key);
  for (const key of keys) {
    const file = join(into, key.slice(prefix.length));
    await mkdir(dirname(file), { recursive: true });
    await storage.download(key, file);
  }
  return keys.map((key) => key.slice(prefix.length));
}

/** Checks every segment among `files` (relative to `dir`) declares limited-range BT.709 4:2:0. */
async function expectLimitedBt709(dir: string, files: string[]) {
  const segments = files.filter((file) => file.endsWith('.ts'));
  expect(segments.length).toBeGreaterThan(0);
  for (const segment of segments) {
    expect({ segment, ...(await videoColour(join(dir, segment))) }).toEqual({ segment, ...LIMITED_BT709 });
  }
}

function chunkJob(session: string, chunk: PlannedChunk) {
  return chunkJobOf(TENANT, session, chunk.asset, {
    seq: chunk.seq,
    startMs: T0 + chunk.offsetMs,
    durationMs: chunk.durationMs,
    ext: chunk.asset === 'screenshots' ? 'jpg' : 'webm',
  });
}

async function upload(session: string, chunk: PlannedChunk) {
  const job = chunkJob(session, chunk);
  await s3.send(
    new PutObjectCommand({ Bucket: 'recordings', Key: job.key, Body: await readFile(chunk.file) }),
  );
  return job;
}

const runOnce = (job: Parameters<typeof runJob>[1]) =>
  runJob(services, job, { signal: new AbortController().signal, lastAttempt: true });

function events(): ServiceEvent[] {
  return (fauxqs.inspectQueue('events')?.messages.ready ?? []).map((message) => JSON.parse(message.body));
}

beforeAll(async () => {
  fauxqs = await startFauxqs({ port: 0, logger: false });
  fauxqs.createBucket('recordings');
  const events = fauxqs.createQueue('events');
  const endpoint = `http://127.0.0.1:${fauxqs.port}`;
  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
  s3 = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials });
  storage = createStorage(s3, 'recordings');
  statusServer = createServer((request, response) => {
    let body = '';
    request.on('data', (data) => (body += data));
    request.on('end', async () => {
      if (request.url?.endsWith('/internal/events')) reportedEvents.push(JSON.parse(body));
      else {
        const report = JSON.parse(body) as SessionStatusReport;
        if (report.status === 'ready') await onReady.get(report.session_uuid)?.(report);
        reports.push(report);
      }
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => statusServer.listen(0, '127.0.0.1', resolve));
  work = await mkdtemp(join(tmpdir(), 'transcoder-package-'));
  services = {
    storage,
    reporter: createReporter({
      apiBase: `http://127.0.0.1:${(statusServer.address() as AddressInfo).port}`,
      internalToken: 't'.repeat(32),
      sqs: new SQSClient({ region: 'us-east-1', endpoint, credentials }),
      eventsQueueUrl: events.queueUrl,
    }),
    settings: { workDir: work, framesFps: 1, gapThresholdMs: 500, liveHoldMs: 30_000, mediaSlots: 2 },
    log: createJsonLogger({}, { write: () => {} }),
    media: mediaRunner,
  };

  const media = join(work, 'media');
  await mkdir(media);
  const screenWithTone = await makeChunk(media, {
    width: 1280,
    height: 720,
    durationSec: 3,
    contentSec: 2.2,
    audio: true,
  });
  const screenVp9 = await makeChunk(media, { codec: 'vp9', width: 1280, height: 720, durationSec: 3 });
  const truncated = await makeUndecodableChunk(media, 'truncated');
  const webcam = await makeChunk(media, { name: 'webcam.webm', width: 320, height: 240, durationSec: 3 });
  const screenshot = join(media, 'screenshot.jpg');
  await run('ffmpeg', [
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    'color=white:s=320x180',
    '-frames:v',
    '1',
    screenshot,
  ]);
  // Screenshare: seq 1 does not decode, seq 2 never arrives, seq 3 comes twice, seq 4 starts 80 ms late.
  chunks = [
    { asset: 'screenshare', seq: 3, offsetMs: 9050, durationMs: 3000, file: screenVp9 },
    { asset: 'screenshare', seq: 0, offsetMs: 0, durationMs: 3000, file: screenWithTone },
    { asset: 'screenshare', seq: 3, offsetMs: 9110, durationMs: 3000, file: screenVp9 },
    { asset: 'screenshare', seq: 4, offsetMs: 12_130, durationMs: 3000, file: screenWithTone },
    { asset: 'screenshare', seq: 1, offsetMs: 3030, durationMs: 2990, file: truncated },
    { asset: 'webcam', seq: 0, offsetMs: 4000, durationMs: 3000, file: webcam },
    { asset: 'webcam', seq: 1, offsetMs: 7020, durationMs: 3000, file: webcam },
    { asset: 'screenshots', seq: 0, offsetMs: 5000, durationMs: 0, file: screenshot },
  ];
});

afterAll(async () => {
  await fauxqs?.stop();
  statusServer?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('a session with a missing, an undecodable, a duplicate and an out-of-order chunk', () => {
  const session = '7a6b5c4d-3e2f-4a1b-8c9d-0e1f2a3b4c5d';
  const prefix = `${sessionPrefix(TENANT, session)}screenshare/processed/`;
  // Timeline: the first chunk's start to the last chunk's end, across every video asset.
  const timelineMs = 15_130;
  const timelineSec = timelineMs / 1000;
  let local: string;
  let files: string[];
  /** The session's objects and its manifest when it was reported ready. */
  let atReady: { keys: string[]; manifest: Record<string, unknown> } | undefined;

  beforeAll(async () => {
    onReady.set(session, async () => {
      const keys = (await storage.list(sessionPrefix(TENANT, session))).map((object) => object.key);
      atReady ??= { keys, manifest: JSON.parse((await storage.getText(`${prefix}manifest.json`)) ?? '{}') };
    });
    for (const chunk of chunks) await runOnce(await upload(session, chunk));
    await runOnce(finalizeJob(TENANT, session));
    local = join(work, 'package');
    files = await downloadTree(prefix, local);
  });

  it('writes a master with three variants carrying bandwidth, resolution and codecs', async () => {
    const master = HLS.parse(await readFile(join(local, 'hls_playlist/master.m3u8'), 'utf8'));
    if (!master.isMasterPlaylist) throw new Error('not a master playlist');
    expect(master.variants.map((v) => [v.uri, v.resolution?.width, v.resolution?.height])).toEqual([
      ['index_360p.m3u8', 640, 360],
      ['index_480p.m3u8', 854, 480],
      ['index_720p.m3u8', 1280, 720],
    ]);
    for (const variant of master.variants) {
      expect(variant.bandwidth).toBeGreaterThan(0);
      expect(variant.codecs).toMatch(/^avc1\.64[0-9a-f]{4},mp4a\.40\.2$/);
    }
  });

  it('lasts the timeline within one frame in every variant, by its playlist and by its media', async () => {
    for (const rendition of ['360p', '480p', '720p']) {
      const file = join(local, `hls_playlist/index_${rendition}.m3u8`);
      const playlist = HLS.parse(await readFile(file, 'utf8'));
      if (playlist.isMasterPlaylist) throw new Error('not a media playlist');
      const listed = playlist.segments.reduce((sum, segment) => sum + segment.duration, 0);
      expect(Math.abs(listed - timelineSec)).toBeLessThanOrEqual(FRAME_SEC);
      const { format } = await probe(file, 'format=duration');
      expect(Math.abs(Number(format.duration) - timelineSec)).toBeLessThanOrEqual(FRAME_SEC);
      const { packets } = await probe(file, 'packet=pts_time,duration_time', ['-select_streams', 'v:0']);
      const times = packets.map((p: { pts_time: string; duration_time: string }) => Number(p.pts_time));
      const last = Math.max(...times) + Number(packets.at(-1).duration_time);
      expect(Math.abs(last - Math.min(...times) - timelineSec)).toBeLessThanOrEqual(FRAME_SEC);
    }
  });

  it('plays through the master with no error from ffmpeg', async () => {
    const { stdout, stderr } = await run('ffmpeg', [
      '-v',
      'error',
      '-i',
      join(local, 'hls_playlist/master.m3u8'),
      '-f',
      'null',
      '-',
    ]);
    expect(stdout + stderr).toBe('');
  });

  it('declares limited-range BT.709 4:2:0 in every segment of every variant, placeholders included', async () => {
    expect(files.filter((file) => file.includes('/gap-'))).not.toEqual([]);
    await expectLimitedBt709(local, files);
  });

  it('shows black exactly over the undecodable and missing chunks, and nowhere else', async () => {
    const spans = await blackSpans(join(local, 'hls_playlist/index_360p.m3u8'), 'd=0.5:pix_th=0.1');
    expect(spans).toHaveLength(1);
    const [start, end] = spans[0] ?? [];
    // seq 0 ends at 3.0 s; seq 3 starts at 9.05 s.
    expect(Math.abs((start ?? 0) - 3)).toBeLessThanOrEqual(FRAME_SEC);
    expect(Math.abs((end ?? 0) - 9.05)).toBeLessThanOrEqual(FRAME_SEC);
  });

  it('writes a storyboard whose cues cover the whole duration', async () => {
    const vtt = await readFile(join(local, 'frame_thumbnails/storyboard.vtt'), 'utf8');
    const ends = [...vtt.matchAll(/--> (\d\d):(\d\d):(\d\d\.\d{3})/g)].map(
      (m) => Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]),
    );
    expect(Math.abs(Math.max(...ends) - timelineSec)).toBeLessThanOrEqual(FRAME_SEC);
    expect(vtt).toMatch(/^WEBVTT/);
    for (const sheet of new Set([...vtt.matchAll(/^(\S+\.jpg)#xywh=/gm)].map((m) => m[1]))) {
      expect(files).toContain(`frame_thumbnails/${sheet}`);
    }
  });

  it('stitches an MP4 of the timeline, index first', async () => {
    const file = join(local, 'stitched_video/recording.mp4');
    const { format, streams } = await probe(file, 'format=duration:stream=codec_type');
    expect(Math.abs(Number(format.duration) - timelineSec)).toBeLessThanOrEqual(FRAME_SEC);
    expect(streams.map((s: { codec_type: string }) => s.codec_type).sort()).toEqual(['audio', 'video']);
    const boxes = await topLevelBoxes(file);
    expect(boxes).toContain('moov');
    expect(boxes.indexOf('moov')).toBeLessThan(boxes.indexOf('mdat'));
  });

  it('reports the chunks, the gap, the undecodable chunk, the duplicate and the screenshots in the manifest', async () => {
    const manifest = JSON.parse(await readFile(join(local, 'manifest.json'), 'utf8'));
    const screen = manifest.assets.screenshare;
    expect(screen.chunks.map((c: { seq: number; status: string }) => `${c.seq}:${c.status}`)).toEqual([
      '0:ok',
      '1:undecodable',
      '3:ok',
      '3:duplicate',
      '4:ok',
    ]);
    expect(screen.missing_seqs).toEqual([2]);
    expect(screen.missing_seq_count).toBe(1);
    expect(screen.gaps).toHaveLength(1);
    expect(screen.gaps[0].undecodable).toEqual([chunkJob(session, chunks[4] as PlannedChunk).key]);
    expect(screen.absorbed_gaps.count).toBe(1);
    expect(screen.chunks[0]).toMatchObject({ codec: 'vp8', width: 1280, height: 720, has_audio: true });
    expect(manifest.assets.screenshots.images).toEqual([
      expect.objectContaining({ seq: 0, captured_at_ms: T0 + 5000, offset_ms: 5000 }),
    ]);
    expect(manifest.timeline.duration_ms).toBe(timelineMs);
  });

  it('puts the webcam on the same timeline, black before it started and after it stopped', async () => {
    const webcam = `${sessionPrefix(TENANT, session)}webcam/processed/hls_playlist/`;
    const text = await storage.getText(`${webcam}index_360p.m3u8`);
    const playlist = HLS.parse(text ?? '');
    if (playlist.isMasterPlaylist) throw new Error('not a media playlist');
    const kinds = playlist.segments.map((s) => (s.uri.includes('/gap-') ? 'black' : 'chunk'));
    expect(kinds.filter((kind, i) => kind !== kinds[i - 1])).toEqual(['black', 'chunk', 'black']);
    expect(kinds.filter((kind) => kind === 'chunk')).toHaveLength(2);
    const lead = playlist.segments.slice(0, kinds.indexOf('chunk'));
    expect(lead.reduce((sum, segment) => sum + segment.duration, 0)).toBeCloseTo(4, 1);
    const listed = playlist.segments.reduce((sum, segment) => sum + segment.duration, 0);
    expect(Math.abs(listed - timelineSec)).toBeLessThanOrEqual(FRAME_SEC);
    expect(await storage.getText(`${webcam}master.m3u8`)).toContain('RESOLUTION=320x240');
  });

  it('keeps a live EVENT playlist of the chunks released so far', async () => {
    const live = await storage.getText(
      `${sessionPrefix(TENANT, session)}webcam/processed/playlist_cache/live_360p.m3u8`,
    );
    const playlist = HLS.parse(live ?? '');
    if (playlist.isMasterPlaylist) throw new Error('not a media playlist');
    expect(playlist.playlistType).toBe('EVENT');
    expect(playlist.endlist).toBe(false);
    // The newest chunk is held back until the next one says how long it lasts.
    expect(playlist.segments.map((s) => s.uri)).toEqual([
      `../hls_playlist/360p/${formatChunkName({ seq: 0, startMs: T0 + 4000, durationMs: 3000, ext: 'webm' }).replace('.webm', '.ts')}`,
    ]);
  });

  it('marks the session ready with its playback and announces it on the queue and to the Worker', () => {
    expect(reports.filter((r) => r.session_uuid === session)).toEqual([
      {
        version: 1,
        tenant_uuid: TENANT,
        session_uuid: session,
        status: 'ready',
        playback: { type: 'hls_masterplaylist', key: `${prefix}hls_playlist/master.m3u8` },
        duration_ms: timelineMs,
      },
    ]);
    const mine = events().filter((e) => e.session_uuid === session);
    expect(mine.filter((e) => e.type === 'session.processed')).toHaveLength(1);
    const frames = mine.filter((e) => e.type === 'frames.available');
    // The second upload of seq 3 is recognised as a duplicate and not processed.
    expect(frames.map((e) => `${e.asset}:${e.seq}`).sort()).toEqual([
      'screenshare:0',
      'screenshare:3',
      'screenshare:4',
      'screenshots:0',
      'webcam:0',
      'webcam:1',
    ]);
    // Each event also went to the Worker, for the tenant's webhooks.
    expect(reportedEvents.filter((e) => e.session_uuid === session)).toEqual(mine);
  });

  it('reports ready once playable, before any storyboard or stitched video exists, and announces each after', async () => {
    // The manifest was written, saying what is still to come, and nothing derived was there yet.
    const derived = (key: string) =>
      key.includes('/stitched_video/') || /\/frame_thumbnails\/(sheet_\d+\.jpg|storyboard\.vtt)$/.test(key);
    expect(atReady?.keys.filter(derived)).toEqual([]);
    expect(atReady?.keys).toContain(`${prefix}hls_playlist/master.m3u8`);
    const pending = { storyboard: { status: 'pending' }, stitched_video: { status: 'pending' } };
    expect(atReady?.manifest).toMatchObject({
      assets: { screenshare: pending, webcam: pending },
      announced: [],
    });

    const announcements = events()
      .filter((e) => e.session_uuid === session && e.type !== 'frames.available')
      .map((e) => ('asset' in e ? `${e.type} ${e.asset}` : e.type));
    expect(announcements).toEqual([
      'session.processed',
      'storyboard.available screenshare',
      'storyboard.available webcam',
      'stitched_video.available screenshare',
      'stitched_video.available webcam',
    ]);
    const manifest = JSON.parse(await readFile(join(local, 'manifest.json'), 'utf8'));
    expect(manifest.assets.screenshare.storyboard).toEqual({
      status: 'available',
      vtt: `${prefix}frame_thumbnails/storyboard.vtt`,
      sheets: expect.arrayContaining([expect.stringMatching(/frame_thumbnails\/sheet_\d+\.jpg$/)]),
    });
    expect(manifest.assets.screenshare.stitched_video).toEqual({
      status: 'available',
      key: `${prefix}stitched_video/recording.mp4`,
    });
    expect(manifest.announced).toHaveLength(5);
    const stitched = events().find(
      (e) => e.session_uuid === session && e.type === 'stitched_video.available',
    );
    expect(stitched).toMatchObject({
      key: `${prefix}stitched_video/recording.mp4`,
      manifest_key: `${prefix}manifest.json`,
    });
  });

  it('writes the same objects when finalize runs again, and reports and announces nothing again', async () => {
    const announced = events().filter((e) => e.session_uuid === session).length;
    const before = await storage.list(sessionPrefix(TENANT, session));
    const texts = await Promise.all(
      files
        .filter((f) => f.endsWith('.m3u8') || f.endsWith('.json'))
        .map((f) => storage.getText(`${prefix}${f}`)),
    );
    await runOnce(finalizeJob(TENANT, session));
    const after = await storage.list(sessionPrefix(TENANT, session));
    expect(after.map((o) => o.key)).toEqual(before.map((o) => o.key));
    const again = await Promise.all(
      files
        .filter((f) => f.endsWith('.m3u8') || f.endsWith('.json'))
        .map((f) => storage.getText(`${prefix}${f}`)),
    );
    expect(again).toEqual(texts);
    expect(reports.filter((r) => r.session_uuid === session)).toHaveLength(1);
    expect(events().filter((e) => e.session_uuid === session)).toHaveLength(announced);
  });

  it('builds the same playlists from finalize alone, when no chunk job ever ran', async () => {
    const alone = '1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e';
    for (const chunk of chunks) await upload(alone, chunk);
    await runOnce(finalizeJob(TENANT, alone));
    const relative = (s: string) => (text: string | null) => text?.replaceAll(s, '<session>');
    for (const name of ['master.m3u8', 'index_360p.m3u8', 'index_480p.m3u8', 'index_720p.m3u8']) {
      const key = (s: string) => `${sessionPrefix(TENANT, s)}screenshare/processed/hls_playlist/${name}`;
      expect(relative(alone)(await storage.getText(key(alone)))).toBe(
        relative(session)(await storage.getText(key(session))),
      );
    }
    const keys = async (s: string) =>
      (await storage.list(sessionPrefix(TENANT, s)))
        .map((o) => o.key.slice(sessionPrefix(TENANT, s).length))
        .filter((k) => !k.includes('/playlist_cache/live_'));
    expect(await keys(alone)).toEqual(await keys(session));
  });
});

describe('a real MediaRecorder recording from Chromium', () => {
  it('packages without an error, lasts its wall-clock timeline and is limited range', async () => {
    const session = '4e4e4e4e-4e4e-4e4e-8e4e-4e4e4e4e4e4e';
    const dir = join(work, 'recorded');
    await mkdir(dir);
    const recorded = await recordMediaRecorderChunks(dir, { chunks: 3, chunkMs: 2000, audio: true });
    for (const chunk of recorded) {
      const key = `${rawPrefix(TENANT, session, 'screenshare')}${basename(chunk.file)}`;
      await s3.send(
        new PutObjectCommand({ Bucket: 'recordings', Key: key, Body: await readFile(chunk.file) }),
      );
    }
    await runOnce(finalizeJob(TENANT, session));
    const local = join(work, 'recorded-package');
    const files = await downloadTree(
      `${sessionPrefix(TENANT, session)}screenshare/processed/hls_playlist/`,
      local,
    );
    const { stdout, stderr } = await run('ffmpeg', [
      '-v',
      'error',
      '-i',
      join(local, 'master.m3u8'),
      '-f',
      'null',
      '-',
    ]);
    expect(stdout + stderr).toBe('');
    const first = recorded[0];
    const last = recorded.at(-1);
    if (!first || !last) throw new Error('nothing recorded');
    const timelineSec = (last.startMs + last.durationMs - first.startMs) / 1000;
    const { format } = await probe(join(local, 'index_360p.m3u8'), 'format=duration');
    expect(Math.abs(Number(format.duration) - timelineSec)).toBeLessThanOrEqual(FRAME_SEC);
    // The browser records full range; the package is limited range like every other.
    await expectLimitedBt709(local, files);
  });
});

describe('chunks named outside the session window', () => {
  const session = '5a5a5a5a-5a5a-4a5a-8a5a-5a5a5a5a5a5a';
  const far = 30 * 24 * 3600 * 1000;
  const planned = (seq: number, offsetMs: number): PlannedChunk => ({
    asset: 'webcam',
    seq,
    offsetMs,
    durationMs: 3000,
    file: (chunks[5] as PlannedChunk).file,
  });

  it('skips such a chunk job without processing it', async () => {
    const job = await upload(session, planned(9, far));
    await runOnce({ ...job, session_started_at: new Date(T0).toISOString() });
    expect(await storage.list(`${sessionPrefix(TENANT, session)}webcam/processed/`)).toEqual([]);
  });

  it('leaves them off the timeline and lists them in the manifest, anchored on the median start without a session start', async () => {
    await upload(session, planned(0, 0));
    await upload(session, planned(1, 3000));
    const hostile = chunkJob(session, planned(9, far)).key;
    await runOnce(finalizeJob(TENANT, session));
    const manifest = await storage.getText(`${sessionPrefix(TENANT, session)}webcam/processed/manifest.json`);
    const { timeline, assets } = JSON.parse(manifest ?? '{}');
    expect(timeline.duration_ms).toBe(6000);
    expect(assets.webcam.chunks.map((c: { seq: number; status: string }) => `${c.seq}:${c.status}`)).toEqual([
      '0:ok',
      '1:ok',
      '9:out_of_window',
    ]);
    expect(assets.webcam.out_of_window).toEqual([hostile]);
    expect(assets.webcam.gaps).toEqual([]);
    expect(assets.webcam.missing_seqs).toEqual([]);
  });
});

describe('chunks a browser made to crash or exhaust the transcoder', () => {
  const media = () => join(work, 'media');
  const keysOf = (session: string) => assetKeys({ tenantId: TENANT, sessionId: session, asset: 'webcam' });
  const planned = (file: string, durationMs = 3000): PlannedChunk => ({
    asset: 'webcam',
    seq: 0,
    offsetMs: 0,
    durationMs,
    file,
  });
  /** An HLS playlist, about a hundred bytes, whose one segment is a video on the transcoder's host, by `file://` URL. */
  async function hostPlaylist() {
    const file = join(media(), 'host-playlist.webm');
    // The HLS demuxer opens segments only under extensions it lists, among them .mkv, not .webm.
    const host = join(media(), 'host-recording.mkv');
    await copyFile((chunks[5] as PlannedChunk).file, host);
    await writeFile(file, `#EXTM3U\n#EXT-X-TARGETDURATION:5\n#EXTINF:5,\nfile://${host}\n#EXT-X-ENDLIST\n`);
    return file;
  }
  /** Runs the chunk job of `chunk` in a fresh session; returns the session's records of it. */
  async function process(session: string, chunk: PlannedChunk) {
    const job = await upload(session, chunk);
    await runOnce(job);
    const name = basename(job.key);
    return {
      entry: await storage.getJson(keysOf(session).chunkEntry(name), ChunkEntry),
      gap: await storage.getJson(keysOf(session).undecodableEntry(name), UndecodableEntry),
    };
  }

  it('records a chunk that makes ffmpeg fail as a gap with the reason, and the job succeeds', async () => {
    const session = '6b6b6b6b-6b6b-4b6b-8b6b-6b6b6b6b6b6b';
    // A profile with an odd width, which libx264 refuses: any failure of ffmpeg on a chunk is its gap.
    await storage.putJson(keysOf(session).profile, {
      version: 1,
      origin_ms: Math.floor((T0 - 12 * 3600 * 1000) / 1000) * 1000,
      fps: 10,
      renditions: ['360p'],
      resolutions: { '360p': { width: 321, height: 240 } },
      source: { key: 'elsewhere', width: 321, height: 240 },
    });
    const { entry, gap } = await process(session, planned((chunks[5] as PlannedChunk).file));
    expect(entry).toBeNull();
    expect(gap?.reason).toMatch(/\S/);
    expect(gap?.reason).not.toMatch(/ @ 0x/);
  });

  it('records a chunk whose audio starts after its slot as a gap, without decoding up to it', async () => {
    const file = join(media(), 'late-audio.webm');
    await run('ffmpeg', [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'color=white:s=160x120:r=10:d=2',
      '-itsoffset',
      '3600',
      '-f',
      'lavfi',
      '-i',
      'sine=d=1',
      '-c:v',
      'libvpx',
      '-deadline',
      'realtime',
      '-c:a',
      'libopus',
      file,
    ]);
    const { entry, gap } = await process('7c7c7c7c-7c7c-4c7c-8c7c-7c7c7c7c7c7c', planned(file));
    expect(entry).toBeNull();
    expect(gap?.reason).toMatch(/^audio starts at 3\d{3}(\.\d+)? s, after the chunk's 3 s slot ends$/);
  });

  it('records a picture larger than 4096 × 2304 as a gap', async () => {
    const file = join(media(), 'too-wide.webm');
    await run('ffmpeg', [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'color=white:s=4112x16:r=10:d=0.3',
      '-c:v',
      'libvpx',
      '-deadline',
      'realtime',
      file,
    ]);
    const { gap } = await process('8d8d8d8d-8d8d-4d8d-8d8d-8d8d8d8d8d8d', planned(file));
    expect(gap?.reason).toBe('picture 4112×16 is larger than 4096×2304');
  });

  it('records an HLS playlist uploaded as a chunk, naming a file of the host, as a gap without reading that file', async () => {
    const session = 'b2b2b2b2-b2b2-4b2b-8b2b-b2b2b2b2b2b2';
    const { entry, gap } = await process(session, planned(await hostPlaylist(), 5000));
    expect(entry).toBeNull();
    expect(gap?.reason).toMatch(/\S/);
    // Nothing made from the host's file: no segment, frame or thumbnail, only the record of the gap.
    const outputs = await storage.list(`${sessionPrefix(TENANT, session)}webcam/processed/`);
    expect(outputs.map((o) => o.key)).toEqual([expect.stringContaining('/playlist_cache/undecodable/')]);
  });

  it('encodes a tiny chunk named 60 s long for at most its media plus 10 s', async () => {
    const file = await makeChunk(media(), { name: 'tiny.webm', width: 160, height: 120, durationSec: 0.3 });
    const { entry } = await process('9e9e9e9e-9e9e-4e9e-8e9e-9e9e9e9e9e9e', planned(file, 60_000));
    expect(entry?.span.frames).toBeGreaterThanOrEqual(100);
    expect(entry?.span.frames).toBeLessThanOrEqual(104);
  });

  it('letterboxes a very wide picture into a profile of another shape instead of failing', async () => {
    const session = 'afafafaf-afaf-4faf-8faf-afafafafafaf';
    const first = await process(session, planned((chunks[5] as PlannedChunk).file));
    expect(first.entry).not.toBeNull();
    const file = join(media(), 'wide.webm');
    await run('ffmpeg', [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'color=white:s=4000x8:r=10:d=1',
      '-c:v',
      'libvpx',
      '-deadline',
      'realtime',
      file,
    ]);
    const { entry } = await process(session, { ...planned(file), seq: 1, offsetMs: 3000 });
    expect(entry?.source).toMatchObject({ width: 4000, height: 8 });
  });

  it.each([
    // The probe reads its headers, which are sound; the encode meets the cut-off end.
    [
      'bytes that do not decode',
      'a1a1a1a1-a1a1-4a1a-8a1a-a1a1a1a1a1a1',
      async () => (chunks[4] as PlannedChunk).file,
      /^encoded before but not when cut: ffmpeg reported an error: \[matroska,webm\] File ended prematurely/,
    ],
    [
      'an HLS playlist naming a file of the host',
      'a3a3a3a3-a3a3-4a3a-8a3a-a3a3a3a3a3a3',
      () => hostPlaylist(),
      /^probed before but not when cut: \S/,
    ],
  ])(
    'makes a chunk that must be cut, replaced by %s, a gap and packages the rest',
    async (_, session, replacement, reason) => {
      const webcam = (chunks[5] as PlannedChunk).file;
      // seq 1 starts 2 s into seq 0's 3 s, so finalize must re-encode seq 0 cut at 2 s.
      const first = await upload(session, { ...planned(webcam), seq: 0, offsetMs: 0 });
      await runOnce(first);
      await runOnce(await upload(session, { ...planned(webcam), seq: 1, offsetMs: 2000 }));
      // The browser replaces seq 0 after its chunk job processed it.
      await s3.send(
        new PutObjectCommand({
          Bucket: 'recordings',
          Key: first.key,
          Body: await readFile(await replacement()),
        }),
      );

      await runOnce(finalizeJob(TENANT, session));

      const keys = keysOf(session);
      const manifest = JSON.parse((await storage.getText(keys.manifest)) ?? '{}');
      const webcamAsset = manifest.assets.webcam;
      expect(webcamAsset.chunks.map((c: { seq: number; status: string }) => `${c.seq}:${c.status}`)).toEqual([
        '0:undecodable',
        '1:ok',
      ]);
      expect(webcamAsset.chunks[0].reason).toMatch(reason);
      // On the frame grid (whole tenths of a second), seq 0's span up to seq 1's start.
      const gridStart = Math.round(T0 / 100) * 100;
      expect(webcamAsset.gaps).toEqual([
        { start_ms: gridStart, end_ms: gridStart + 2000, duration_ms: 2000, undecodable: [first.key] },
      ]);
      // The playlist still lasts the whole timeline: black for seq 0's 2 s, then seq 1's 3 s.
      const playlist = HLS.parse((await storage.getText(keys.variantPlaylist('360p'))) ?? '');
      const segments = (playlist as HLS.types.MediaPlaylist).segments;
      const total = segments.reduce((sum, segment) => sum + segment.duration, 0);
      expect(Math.abs(total - 5)).toBeLessThanOrEqual(FRAME_SEC / 2);
      expect(segments[0]?.uri).toMatch(/gap-/);
    },
  );
});

describe('a stitch that fails after the session is ready', () => {
  /**
   * A session of two 720p chunks with a gap between them, finalized with its ready report held while the
   * gap's placeholder goes missing in the largest rendition: the storyboard (from the smallest) can be
   * made, the stitched video (from the largest) cannot.
   */
  async function finalizeLosingTheStitch(session: string, lastAttempt: boolean) {
    const keys = assetKeys({ tenantId: TENANT, sessionId: session, asset: 'screenshare' });
    const file = (chunks[1] as PlannedChunk).file;
    for (const [seq, offsetMs] of [
      [0, 0],
      [1, 6000],
    ] as const) {
      await runOnce(await upload(session, { asset: 'screenshare', seq, offsetMs, durationMs: 3000, file }));
    }
    onReady.set(session, async () => {
      const gaps = await storage.list(`${keys.hls}720p/gap-`);
      expect(gaps).not.toEqual([]);
      await storage.deleteKeys(gaps.map((object) => object.key));
    });
    const job = finalizeJob(TENANT, session);
    const failure = await runJob(services, job, { signal: new AbortController().signal, lastAttempt }).then(
      () => null,
      (error: Error) => error,
    );
    onReady.delete(session);
    const manifest = async () => JSON.parse((await storage.getText(keys.manifest)) ?? '{}');
    const announced = () =>
      events()
        .filter((e) => e.session_uuid === session && e.type !== 'frames.available')
        .map((e) => e.type);
    return { job, keys, failure, manifest, announced };
  }

  it('leaves the session ready, and the job run again makes the rest without reporting ready again', async () => {
    const session = 'c4c4c4c4-c4c4-4c4c-8c4c-c4c4c4c4c4c4';
    const { job, keys, failure, manifest, announced } = await finalizeLosingTheStitch(session, false);
    expect(failure).not.toBeNull();
    expect(reports.filter((r) => r.session_uuid === session).map((r) => r.status)).toEqual(['ready']);
    expect((await manifest()).assets.screenshare).toMatchObject({
      storyboard: { status: 'available' },
      stitched_video: { status: 'pending' },
    });
    expect(announced()).toEqual(['session.processed', 'storyboard.available']);

    // The queue delivers the job again: the placeholder is made again, the storyboard kept.
    await runOnce(job);
    expect(reports.filter((r) => r.session_uuid === session).map((r) => r.status)).toEqual(['ready']);
    expect(announced()).toEqual(['session.processed', 'storyboard.available', 'stitched_video.available']);
    const done = await manifest();
    expect(done.assets.screenshare.stitched_video).toEqual({ status: 'available', key: keys.stitched });
    expect(done.announced).toHaveLength(3);
    expect((await storage.list(keys.stitched)).map((object) => object.key)).toEqual([keys.stitched]);
  });

  it('on the last attempt, marks the stitched video failed in the manifest and never fails the session', async () => {
    const session = 'c5c5c5c5-c5c5-4c5c-8c5c-c5c5c5c5c5c5';
    const { failure, manifest, announced } = await finalizeLosingTheStitch(session, true);
    expect(failure?.message).toMatch(/^after the session was ready, failed: screenshare stitched_video: /);
    expect(reports.filter((r) => r.session_uuid === session).map((r) => r.status)).toEqual(['ready']);
    expect((await manifest()).assets.screenshare).toMatchObject({
      storyboard: { status: 'available' },
      stitched_video: { status: 'failed', reason: expect.stringMatching(/\S/) },
    });
    expect(announced()).toEqual(['session.processed', 'storyboard.available']);
  });
});

describe('a session the transcoder cannot package', () => {
  it('fails a session with no chunks at once, as no_recording, and ends the job', async () => {
    const unknown = '0c0c0c0c-0c0c-4c0c-8c0c-0c0c0c0c0c0c';
    // Not the last attempt: a recording that is not there is reported without waiting for the retries.
    await runJob(services, finalizeJob(TENANT, unknown), {
      signal: new AbortController().signal,
      lastAttempt: false,
    });
    expect(reports.filter((r) => r.session_uuid === unknown)).toEqual([
      expect.objectContaining({
        status: 'failed',
        failure_code: 'no_recording',
        reason: expect.stringMatching(/nothing was uploaded/),
      }),
    ]);
    expect(
      events()
        .filter((e) => e.session_uuid === unknown)
        .map((e) => e.type),
    ).toEqual(['session.failed']);
  });

  it('refuses a chunk job whose key is not the chunk it describes', async () => {
    const session = '2d2d2d2d-2d2d-4d2d-8d2d-2d2d2d2d2d2d';
    const job = chunkJob(session, chunks[1] as PlannedChunk);
    await expect(runOnce({ ...job, seq: 7 })).rejects.toThrow(/is not chunk 7/);
  });
});
