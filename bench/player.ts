/**
 * `npm run bench:player` — the reviewer's player on a 60-minute session: time to first frame and seek
 * latency, both up to a frame painted (`requestVideoFrameCallback`), in headless Chromium on a local stack.
 *
 * The session is synthesized cheaply instead of going through the transcoder: one ffmpeg run encodes 60
 * minutes of a test pattern into one 360p HLS rendition (720 segments of 5 s), put into the stack's S3 with
 * a master playlist and a manifest, and the session is reported ready as the transcoder reports it. Appends its figures to bench/RESULTS.md.
 */
import { execFile } from 'node:child_process';
import { appendFile, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { chromium } from 'playwright-core';
import { processedPrefix } from '../contracts/storage.ts';
import { startStack } from '../dev/stack/index.ts';
import { CHROMIUM_ARGS } from '../test/support/chunks.ts';
import { mapLimit } from '../transcoder/parallel.ts';

const run = promisify(execFile);
const DURATION_SEC = 3600;
const SEEKS = 40;
/** Cold page loads, alternating the player URL as GET /session gives it and the same without its hint. */
const ROUNDS = 10;
const dir = await mkdtemp(join(tmpdir(), 'ies-bench-player-'));

/** The 60-minute rendition in `dir/hls`: `index_360p.m3u8` and `360p/<n>.ts`, one encode (≈ 40 s). */
async function synthesize(): Promise<void> {
  await mkdir(join(dir, 'hls/360p'), { recursive: true });
  // ultrafast at 200 kb/s and 10 fps: cheap to make, and each segment under the local S3's request limit.
  // The picture changes every frame (testsrc2's counter), so every seek paints a new frame.
  await run('ffmpeg', [
    ...['-v', 'error', '-f', 'lavfi', '-i', `testsrc2=size=640x360:rate=10:duration=${DURATION_SEC}`],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-threads', '1', '-g', '50', '-pix_fmt', 'yuv420p'],
    ...['-b:v', '200k', '-maxrate', '200k', '-bufsize', '400k', '-f', 'hls', '-hls_time', '5'],
    ...['-hls_playlist_type', 'vod', '-hls_segment_filename', join(dir, 'hls/360p/%06d.ts')],
    join(dir, 'hls/index_360p.m3u8'),
  ]);
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
};

const stack = await startStack({ dir: join(dir, 'stack'), reset: true });
try {
  await synthesize();
  const { apiBase, tenant, s3: s3Info, internalToken } = stack.info;
  const headers = { 'X-API-TOKEN': tenant.apiKey, 'Content-Type': 'application/json' };
  const created = await fetch(`${apiBase}/session`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ unique_identifier: `bench-player-${Date.now()}`, session_metadata: {} }),
  });
  const { session_id: sessionId } = (await created.json()) as { session_id: string };
  const prefix = processedPrefix(tenant.uuid, sessionId, 'screenshare');
  const s3 = new S3Client({
    region: s3Info.region,
    endpoint: s3Info.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: s3Info.accessKeyId, secretAccessKey: s3Info.secretAccessKey },
  });
  const put = (key: string, body: Uint8Array | string) =>
    s3.send(new PutObjectCommand({ Bucket: s3Info.bucket, Key: key, Body: body }));
  const segments = await readdir(join(dir, 'hls/360p'));
  await mapLimit(segments, 8, async (name) =>
    put(`${prefix}hls_playlist/360p/${name}`, await readFile(join(dir, 'hls/360p', name))),
  );
  // ffmpeg names the segments by their file name alone; they sit in the rendition's folder.
  const variant = await readFile(join(dir, 'hls/index_360p.m3u8'), 'utf8');
  await put(`${prefix}hls_playlist/index_360p.m3u8`, variant.replace(/^(\d+\.ts)$/gm, '360p/$1'));
  const master =
    '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-STREAM-INF:BANDWIDTH=400000,RESOLUTION=640x360\nindex_360p.m3u8\n';
  await put(`${prefix}hls_playlist/master.m3u8`, master);
  const startMs = Date.now() - DURATION_SEC * 1000;
  await put(
    `${prefix}manifest.json`,
    JSON.stringify({
      version: 1,
      timeline: {
        start_ms: startMs,
        end_ms: startMs + DURATION_SEC * 1000,
        duration_ms: DURATION_SEC * 1000,
      },
      assets: {
        screenshare: { status: 'ready', master: `${prefix}hls_playlist/master.m3u8`, gaps: [], chunks: [] },
      },
    }),
  );
  const report = await fetch(`${apiBase}/internal/session-status`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${internalToken}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({
      version: 1,
      tenant_uuid: tenant.uuid,
      session_uuid: sessionId,
      status: 'ready',
      playback: { type: 'hls_masterplaylist', key: `${prefix}hls_playlist/master.m3u8` },
      duration_ms: DURATION_SEC * 1000,
    }),
  });
  if (!report.ok) throw new Error(`status report refused: ${report.status} ${await report.text()}`);
  const session = await fetch(`${apiBase}/session?session_id=${sessionId}`, { headers });
  const { player_url: playerUrl } = (await session.json()) as { player_url: string };

  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  try {
    const loadAtStart = loadavg()[0] ?? 0;
    const firstFrames: number[] = [];
    // A player URL minted while the session recorded carries no playback hint (`worker/playback/urls.ts`):
    // the player then reads the session's state before it can start the video.
    const unhinted = new URL(playerUrl);
    unhinted.searchParams.delete('playback');
    unhinted.searchParams.delete('type');
    const firstFramesUnhinted: number[] = [];
    const seeks: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const page = await browser.newPage({ viewport: { width: 1100, height: 760 } });
      // The first frame painted, in ms since navigation started (the page's time origin).
      await page.addInitScript(() => {
        const w = window as unknown as { firstFrameMs?: number };
        const watch = () => {
          const video = document.querySelector('ies-player')?.shadowRoot?.querySelector('video');
          if (video)
            video.requestVideoFrameCallback((now) => {
              w.firstFrameMs = now;
            });
          else requestAnimationFrame(watch);
        };
        requestAnimationFrame(watch);
      });
      await page.goto(round % 2 === 0 ? playerUrl : unhinted.href);
      await page
        .waitForFunction(
          () =>
            (window as unknown as { firstFrameMs?: number }).firstFrameMs !== undefined ||
            (document.querySelector('ies-player') as (HTMLElement & { state: string }) | null)?.state ===
              'error',
          undefined,
          { timeout: 30_000 },
        )
        .catch(async (error: Error) => {
          const seen = await page.evaluate(() => {
            const player = document.querySelector('ies-player') as (HTMLElement & { state: string }) | null;
            const video = player?.shadowRoot?.querySelector('video');
            return { state: player?.state, readyState: video?.readyState, error: video?.error?.message };
          });
          throw new Error(`${error.message}: ${JSON.stringify(seen)}`);
        });
      const failed = await page.evaluate(
        () =>
          document.querySelector('ies-player')?.shadowRoot?.querySelector('.message:not([hidden])')
            ?.textContent,
      );
      if (failed) throw new Error(`the player failed: ${failed}`);
      (round % 2 === 0 ? firstFrames : firstFramesUnhinted).push(
        await page.evaluate(() => (window as unknown as { firstFrameMs: number }).firstFrameMs),
      );
      // The first frame can be painted before the player takes commands (its video starts on the
      // player URL's hint while the session's state and events are still read): seeks wait for that.
      await page.waitForFunction(
        () =>
          (document.querySelector('ies-player') as (HTMLElement & { state: string }) | null)?.state ===
          'paused',
        undefined,
        { timeout: 30_000 },
      );
      const targets = Array.from(
        { length: SEEKS / ROUNDS },
        (_, i) => ((i * 7919 + round * 613) % (DURATION_SEC - 10)) + 3.5,
      );
      seeks.push(
        ...(await page.evaluate(async (targets) => {
          const player = document.querySelector('ies-player') as HTMLElement & { seek(t: number): void };
          const video = player.shadowRoot?.querySelector('video') as HTMLVideoElement;
          const latencies: number[] = [];
          for (const target of targets) {
            const t0 = performance.now();
            const painted = new Promise<number>((resolve) => {
              const wait = () =>
                video.requestVideoFrameCallback((now, meta) => {
                  if (Math.abs(meta.mediaTime - target) < 1) resolve(now);
                  else wait();
                });
              wait();
            });
            player.seek(target);
            latencies.push((await painted) - t0);
          }
          return latencies;
        }, targets)),
      );
      await page.close();
    }
    const ms = (n: number) => `${n.toFixed(0)} ms`;
    const line = (name: string, values: number[], target: string) =>
      `| ${name} | ${values.length} | ${ms(percentile(values, 50))} | ${ms(percentile(values, 95))} | ${target} |`;
    const text = `
## Player — \`npm run bench:player\` (${new Date().toISOString().slice(0, 10)})

Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, shared; headless Chromium (Debian), Node ${process.version}, the local
stack (wrangler dev, fauxqs). A 60-minute session (720 segments of 5 s, 640×360 H.264 at 10 fps, one rendition) read
through the Worker's playback proxy. First frame: from navigation start to the first frame painted
(\`requestVideoFrameCallback\`), page, session, manifest, events, hls.js and the first segment included,
${ROUNDS / 2} cold page loads each with the player URL GET /session gives and with the same URL
without its playback hint (\`&playback=…&type=…\`), alternating. Seek: \`seek()\` on the paused player to a frame of the target painted, ${SEEKS}
positions spread over the hour, each away from what is buffered. Load average (1 min) ${loadAtStart.toFixed(1)}
as the page loads began, ${(loadavg()[0] ?? 0).toFixed(1)} at the end.

| measure | n | p50 | p95 | target |
|---|---|---|---|---|
${line('time to first frame', firstFrames, '≤ 1 s')}
${line('time to first frame, URL without the hint', firstFramesUnhinted, '≤ 1 s')}
${line('seek to a new frame', seeks, 'p95 ≤ 500 ms')}
`;
    console.log(text);
    await appendFile(join(import.meta.dirname, 'RESULTS.md'), text);
  } finally {
    await browser.close();
  }
} finally {
  await stack.stop();
  await rm(dir, { recursive: true, force: true });
}
