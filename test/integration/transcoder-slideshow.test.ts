/**
 * A session of the previous recorder (screenshots only) finalized by the real job handler on fauxqs and
 * ffmpeg into a timed slideshow, checked with ffprobe and by the pictures at chosen times.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { type FauxqsServer, startFauxqs } from 'fauxqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceEvent, SessionStatusReport } from '../../contracts/jobs.ts';
import { formatChunkName, rawPrefix, sessionPrefix } from '../../contracts/storage.ts';
import { lastHoldMs, planSlideshow } from '../../transcoder/jobs/finalize/slideshow.ts';
import { runJob } from '../../transcoder/jobs/index.ts';
import { createJsonLogger } from '../../transcoder/log.ts';
import { createReporter } from '../../transcoder/report.ts';
import { createStorage, type Storage } from '../../transcoder/storage/s3.ts';
import { LIMITED_BT709, videoColour } from '../support/colour.ts';
import { finalizeJob } from '../support/jobs.ts';
import { media, solidJpeg } from '../support/media.ts';

const run = promisify(execFile);
const TENANT = '6c5b4a39-2817-4f60-9e5d-4c3b2a190817';
const SESSION = '1d2c3b4a-5f6e-4d7c-8b9a-0f1e2d3c4b5a';
const T0 = 1_764_158_400_000;

let fauxqs: FauxqsServer;
let s3: S3Client;
let storage: Storage;
let server: Server;
let work: string;
const reports: SessionStatusReport[] = [];
const reportedEvents: ServiceEvent[] = [];

/** Screenshots at 0 s (red), 2 s (green), 5 s (not an image) and 6 s (blue), as the old recorder named them. */
const SHOTS = [
  { seq: 0, offsetMs: 0, colour: 'red' },
  { seq: 1, offsetMs: 2000, colour: 'green' },
  { seq: 2, offsetMs: 5000, colour: null },
  { seq: 3, offsetMs: 6000, colour: 'blue' },
] as const;
// Intervals 2, 3 and 1 s: the last screenshot is held for their median, 2 s.
const TIMELINE_SEC = 8;

/** The RGB of the middle of the picture `atSec` into the MP4. */
async function pixelAt(file: string, atSec: number): Promise<number[]> {
  const { stdout } = await run(
    'ffmpeg',
    ['-v', 'error', '-ss', String(atSec), '-i', file, '-frames:v', '1'].concat([
      '-vf',
      'crop=8:8:636:356,scale=1:1',
      '-pix_fmt',
      'rgb24',
      '-f',
      'rawvideo',
      '-',
    ]),
    { encoding: 'buffer' },
  );
  return [...stdout];
}

beforeAll(async () => {
  fauxqs = await startFauxqs({ port: 0, logger: false });
  fauxqs.createBucket('recordings');
  const events = fauxqs.createQueue('events');
  const endpoint = `http://127.0.0.1:${fauxqs.port}`;
  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
  s3 = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials });
  storage = createStorage(s3, 'recordings');
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (data) => (body += data));
    request.on('end', () => {
      if (request.url?.endsWith('/internal/events')) reportedEvents.push(JSON.parse(body));
      else reports.push(JSON.parse(body));
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  work = await mkdtemp(join(tmpdir(), 'transcoder-slideshow-'));
  const services = {
    storage,
    reporter: createReporter({
      apiBase: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      internalToken: 't'.repeat(32),
      sqs: new SQSClient({ region: 'us-east-1', endpoint, credentials }),
      eventsQueueUrl: events.queueUrl,
    }),
    settings: { workDir: work, framesFps: 1, gapThresholdMs: 500, liveHoldMs: 30_000, mediaSlots: 2 },
    log: createJsonLogger({}, { write: () => {} }),
    media,
  };
  for (const shot of SHOTS) {
    const file = join(work, `${shot.seq}.jpg`);
    if (shot.colour) {
      await solidJpeg(file, shot.colour);
    } else {
      await writeFile(file, 'not a picture');
    }
    const name = formatChunkName({ seq: shot.seq, startMs: T0 + shot.offsetMs, durationMs: 0, ext: 'jpg' });
    await s3.send(
      new PutObjectCommand({
        Bucket: 'recordings',
        Key: `${rawPrefix(TENANT, SESSION, 'screenshots')}${name}`,
        Body: await readFile(file),
      }),
    );
  }
  await runJob(services, finalizeJob(TENANT, SESSION), {
    signal: new AbortController().signal,
    lastAttempt: true,
  });
});

afterAll(async () => {
  await fauxqs?.stop();
  server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the slideshow plan', () => {
  it('holds each screenshot until the next and the last for the median interval', () => {
    expect(lastHoldMs([0])).toBe(10_000);
    expect(lastHoldMs([0, 2000, 5000, 6000])).toBe(2000);
    expect(lastHoldMs([0, 100])).toBe(1000);
    expect(lastHoldMs([0, 600_000])).toBe(60_000);
    const plan = planSlideshow([{ startMs: 0 }, { startMs: 2000 }, { startMs: 5000 }, { startMs: 6000 }]);
    expect(plan.slides.map((slide) => slide.frames)).toEqual([20, 30, 10, 20]);
    expect(plan.frames).toBe(80);
    // Two screenshots within one frame: the first gets no frame and is left out.
    expect(planSlideshow([{ startMs: 0 }, { startMs: 20 }]).slides).toHaveLength(1);
  });
});

describe('a session with only screenshots', () => {
  const key = `${sessionPrefix(TENANT, SESSION)}screenshots/processed/stitched_video/recording.mp4`;
  let mp4: string;

  beforeAll(async () => {
    mp4 = join(work, 'slideshow.mp4');
    await mkdir(work, { recursive: true });
    await storage.download(key, mp4);
  });

  it('is reported ready with the slideshow as its fullvideo playback, and announced', () => {
    const playback = { type: 'fullvideo', key };
    expect(reports).toEqual([
      {
        version: 1,
        tenant_uuid: TENANT,
        session_uuid: SESSION,
        status: 'ready',
        playback,
        duration_ms: TIMELINE_SEC * 1000,
      },
    ]);
    expect(reportedEvents).toMatchObject([{ type: 'session.processed', playback, duration_ms: 8000 }]);
  });

  it('is an H.264 MP4 as long as its timeline within a frame, limited-range BT.709 4:2:0', async () => {
    const { stdout } = await run('ffprobe', [
      '-v',
      'error',
      '-count_frames',
      '-show_entries',
      'format=duration:stream=codec_name,nb_read_frames,width,height',
      '-of',
      'json',
      mp4,
    ]);
    const probe = JSON.parse(stdout);
    expect(probe.streams).toMatchObject([{ codec_name: 'h264', width: 1280, height: 720 }]);
    expect(Math.abs(Number(probe.format.duration) - TIMELINE_SEC)).toBeLessThanOrEqual(0.1);
    expect(Number(probe.streams[0].nb_read_frames)).toBe(TIMELINE_SEC * 10);
    expect(await videoColour(mp4)).toEqual(LIMITED_BT709);
  });

  it('shows each screenshot from its time until the next, and black for the one that does not decode', async () => {
    const near = (rgb: number[], expected: number[]) =>
      rgb.length === 3 && rgb.every((value, i) => Math.abs(value - (expected[i] ?? 0)) <= 40);
    const expected: Array<[number, number[]]> = [
      [0.5, [255, 0, 0]],
      [1.8, [255, 0, 0]],
      [2.3, [0, 128, 0]],
      [4.5, [0, 128, 0]],
      [5.5, [0, 0, 0]],
      [6.3, [0, 0, 255]],
      [7.8, [0, 0, 255]],
    ];
    for (const [atSec, rgb] of expected) {
      const pixel = await pixelAt(mp4, atSec);
      expect({ atSec, pixel, ok: near(pixel, rgb) }).toEqual({ atSec, pixel, ok: true });
    }
  });

  it('lists the screenshots and the one that did not decode in its manifest', async () => {
    const manifest = JSON.parse(
      (await storage.getText(`${sessionPrefix(TENANT, SESSION)}screenshots/processed/manifest.json`)) ?? '{}',
    );
    expect(manifest.kind).toBe('slideshow');
    expect(manifest.screenshots.map((shot: { status: string }) => shot.status)).toEqual([
      'shown',
      'shown',
      'undecodable',
      'shown',
    ]);
  });
});
