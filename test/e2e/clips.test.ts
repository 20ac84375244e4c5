/**
 * Evidence clips on a session the stack processed: 100 s of screen, each 5 s chunk its own shade of grey
 * so every segment's picture tells which it is. A clip of an event ±30 s downloads as an MP4 starting at
 * the segment boundary at or before the range's start (its first frame the HLS picture there), as long as
 * the range plus less than one segment, with the session and times in its metadata; the player marks a
 * range and shows the download link; a playback token clips its own session only; bad ranges are 400.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clipIdOf } from '../../contracts/clips.ts';
import { formatChunkName, processedPrefix, rawPrefix } from '../../contracts/storage.ts';
import { readMediaPlaylist } from '../../transcoder/playlists/hls.ts';
import { signToken } from '../../worker/auth/tokens.ts';
import { call, newTenant, putObject, reportReady, s3, stack, type TestTenant } from '../api/support.ts';
import {
  CHUNK_MS,
  launchReviewerBrowser,
  newRecording,
  openPlayer,
  postEvents,
  processed,
  type Recording,
} from '../support/player.ts';

const run = promisify(execFile);
const SEQS = Array.from({ length: 20 }, (_, seq) => seq);
/** The grey level chunk `seq` is filled with: 9 levels apart, told apart after any encode. */
const greyOf = (seq: number) => 30 + seq * 9;
const EVENT_AT_MS = 61_000;

let dir: string;
let tenant: TestTenant;
let recording: Recording;
let root: string;
let browser: Browser;

/** The mean luma of a file's first video frame, read from a 32 × 18 grey copy of it. */
async function firstFrameLuma(file: string): Promise<number> {
  const { stdout } = await run(
    'ffmpeg',
    ['-v', 'error', '-i', file, '-frames:v', '1', '-vf', 'scale=32:18,format=gray', '-f', 'rawvideo', '-'],
    { encoding: 'buffer', maxBuffer: 1 << 20 },
  );
  const bytes = stdout as unknown as Buffer;
  return bytes.reduce((sum, byte) => sum + byte, 0) / bytes.length;
}

async function download(url: string, name: string) {
  const response = await fetch(url);
  expect(response.status, url).toBe(200);
  const file = join(dir, name);
  await writeFile(file, Buffer.from(await response.arrayBuffer()));
  return { file, headers: response.headers };
}

const post = (at: string, body: unknown, raw?: string) =>
  fetch(`${at}/clips`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: raw ?? JSON.stringify(body),
  });

async function untilReady(statusUrl: string) {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const status = (await (await fetch(statusUrl)).json()) as { status: string; url: string | null };
    if (status.status !== 'pending') return status;
    if (Date.now() > deadline) throw new Error(`clip still pending: ${statusUrl}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ies-clips-'));
  tenant = await newTenant();
  recording = await newRecording(tenant, Date.now() - 120_000);
  for (const seq of SEQS) {
    const grey = greyOf(seq).toString(16).padStart(2, '0');
    const file = join(dir, `grey-${seq}.webm`);
    await run('ffmpeg', [
      ...['-v', 'error', '-f', 'lavfi', '-i', `color=c=0x${grey}${grey}${grey}:size=640x360:rate=15:d=5`],
      ...['-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '200k', file],
    ]);
    const name = formatChunkName({
      seq,
      startMs: recording.startMs + seq * CHUNK_MS,
      durationMs: CHUNK_MS,
      ext: 'webm',
    });
    const key = `${rawPrefix(tenant.uuid, recording.sessionId, 'screenshare')}${name}`;
    await putObject(key, await readFile(file));
    const notice = await call('POST', '/session/chunks', {
      headers: { Authorization: `Bearer ${recording.token}` },
      json: { key },
    });
    expect(notice.status, notice.text).toBe(202);
  }
  await postEvents(tenant, recording.sessionId, [
    { type: 'second_person', severity: 'critical', occurred_at_ms: recording.startMs + EVENT_AT_MS },
  ]);
  const session = await processed(tenant, recording.sessionId);
  root = new URL(session.player_url).searchParams.get('src') ?? '';
  browser = await launchReviewerBrowser();
}, 300_000);

afterAll(async () => {
  await browser?.close();
});

describe('evidence clips', () => {
  it('a clip of an event ±30 s starts on the segment boundary before it, with its metadata', async () => {
    const range = {
      start_ms: recording.startMs + EVENT_AT_MS - 30_000,
      end_ms: recording.startMs + EVENT_AT_MS + 30_000,
    };
    const accepted = await post(root, range);
    expect(accepted.status).toBe(202);
    const { clip_id, status_url } = (await accepted.json()) as { clip_id: string; status_url: string };
    expect(status_url).toBe(`${root}/clips/${clip_id}`);
    const status = await untilReady(status_url);
    expect(status).toMatchObject({ status: 'ready', clip_id, ...range });
    const clip = await download(status.url ?? '', 'clip.mp4');
    expect(clip.headers.get('content-disposition')).toContain('attachment');

    // Where the segment boundary at or before the range start is, from the playlist the player plays.
    const manifest = (await (await fetch(`${root}/screenshare/processed/manifest.json`)).json()) as {
      timeline: { start_ms: number };
      assets: { screenshare: { renditions: { rendition: string }[] } };
    };
    const rendition = manifest.assets.screenshare.renditions.at(-1)?.rendition;
    const variant = `${root}/screenshare/processed/hls_playlist/index_${rendition}.m3u8`;
    const segments = readMediaPlaylist(await (await fetch(variant)).text())?.segments ?? [];
    let at = manifest.timeline.start_ms;
    const boundaries = segments.map((segment) => {
      const start = at;
      at += segment.duration * 1000;
      return { uri: segment.uri, start };
    });
    const index = boundaries.findLastIndex((b) => b.start <= range.start_ms);
    const boundary = boundaries[index];
    const before = boundaries[index - 1];
    if (!boundary || !before) throw new Error('no segment at the range start');
    expect(range.start_ms - boundary.start).toBeLessThan(CHUNK_MS);

    const { stdout } = await run('ffprobe', [
      ...['-v', 'error', '-show_entries', 'format=duration:format_tags=title,comment,creation_time'],
      ...['-of', 'json', clip.file],
    ]);
    const format = (JSON.parse(stdout) as { format: { duration: string; tags: Record<string, string> } })
      .format;
    const expected = (range.end_ms - boundary.start) / 1000;
    expect(Math.abs(Number(format.duration) - expected)).toBeLessThan(0.25);
    expect(Number(format.duration) - (range.end_ms - range.start_ms) / 1000).toBeLessThan(CHUNK_MS / 1000);
    expect(format.tags.title).toContain(recording.sessionId);
    expect(format.tags.comment).toContain(`requested ${new Date(range.start_ms).toISOString()}`);
    expect(format.tags.comment).toContain(`to ${new Date(range.end_ms).toISOString()}`);
    // MP4 keeps creation_time in whole seconds (mvhd).
    expect(Date.parse(format.tags.creation_time ?? '')).toBe(Math.floor(boundary.start / 1000) * 1000);

    // The clip's first picture is the HLS picture at the boundary, not the one of the segment before.
    const atBoundary = await firstFrameLuma(
      (await download(new URL(boundary.uri, variant).href, 'boundary.ts')).file,
    );
    const previous = await firstFrameLuma(
      (await download(new URL(before.uri, variant).href, 'before.ts')).file,
    );
    const first = await firstFrameLuma(clip.file);
    expect(Math.abs(first - atBoundary)).toBeLessThan(2);
    expect(Math.abs(first - previous)).toBeGreaterThan(4);

    // Asked again, the same clip is answered at once.
    const again = (await (await post(root, range)).json()) as { clip_id: string };
    expect(again.clip_id).toBe(clip_id);
    expect((await untilReady(status_url)).status).toBe('ready');
  });

  it('bad ranges are 400 in the error envelope', async () => {
    const start = recording.startMs + 10_000;
    const end = recording.startMs + SEQS.length * CHUNK_MS;
    for (const [body, raw] of [
      [{ start_ms: start, end_ms: start }],
      [{ start_ms: start + 1000, end_ms: start }],
      [{ start_ms: start, end_ms: start + 10 * 60_000 + 1 }],
      [{ start_ms: recording.startMs - 20_000, end_ms: recording.startMs + 5000 }],
      [{ start_ms: end - 5000, end_ms: end + 20_000 }],
      [{ start_ms: start }],
      [{ start_ms: String(start), end_ms: start + 1000 }],
      [{ start_ms: start, end_ms: start + 1000, session_id: recording.sessionId }],
      [null, '{"start_ms":'],
    ] as Array<[unknown, string?]>) {
      const response = await post(root, body, raw);
      const reply = (await response.json()) as {
        error: { code: string; message: string; requestId: string };
      };
      expect(response.status, JSON.stringify(body ?? raw)).toBe(400);
      expect(reply.error.code).toBe('BAD_REQUEST');
      expect(reply.error.requestId).toBe(response.headers.get('x-request-id'));
    }
    expect((await fetch(`${root}/clips/not-a-clip`)).status).toBe(400);
  });

  it('a playback token clips its own session only', async () => {
    const other = await newRecording(tenant, Date.now() - 60_000);
    const otherRoot = `${stack.apiBase}/playback/${await signToken(
      'pt1',
      { t: tenant.uuid, s: other.sessionId, sc: ['playback'], exp: Math.floor(Date.now() / 1000) + 600 },
      stack.tokenSigningKey,
    )}`;
    const range = { start_ms: recording.startMs + 5000, end_ms: recording.startMs + 15_000 };
    // Not processed yet: nothing to clip.
    expect((await post(otherRoot, range)).status).toBe(409);
    const otherPrefix = processedPrefix(tenant.uuid, other.sessionId, 'screenshare');
    await putObject(
      `${otherPrefix}manifest.json`,
      JSON.stringify({ timeline: { start_ms: other.startMs, end_ms: other.startMs + 30_000 } }),
    );
    expect((await reportReady(tenant.uuid, other.sessionId)).status).toBeLessThan(300);
    // Session A's clip is not found under B's token, and A's times are outside B's recording.
    const accepted = (await (await post(root, range)).json()) as { clip_id: string };
    expect((await fetch(`${otherRoot}/clips/${accepted.clip_id}`)).status).toBe(404);
    expect((await post(otherRoot, range)).status).toBe(400);
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: stack.s3.bucket, Prefix: `${otherPrefix}clips/` }),
    );
    expect(listed.KeyCount ?? 0).toBe(0);
    expect((await post(`${stack.apiBase}/playback/not-a-token`, range)).status).toBe(401);
  });
});

describe('the OpenAPI document', () => {
  it('describes the playback-token routes', async () => {
    const doc = (await call('GET', '/openapi.json')).body as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    const at = (path: string) => doc.paths[`/ies/api/v2/playback/{token}${path}`] ?? {};
    expect(Object.keys(at('/session'))).toEqual(['get']);
    expect(Object.keys(at('/events'))).toEqual(['get']);
    expect(Object.keys(at('/clips/{clip_id}'))).toEqual(['get']);
    expect(Object.keys(at('/clips').post?.responses ?? {})).toEqual(
      expect.arrayContaining(['202', '400', '409']),
    );
  });
});

describe('clips in the player', () => {
  it('marks in and out with the keys, clips the range and an event ±30 s, and links the MP4', async () => {
    const page = await openPlayer(
      browser,
      `${new URL(stack.apiBase).origin}/ies/player/index.html?src=${encodeURIComponent(root)}`,
    );
    const status = () =>
      page.evaluate(
        () =>
          (window.player as unknown as { clips: { status: { clip_id: string; status: string } | null } })
            .clips.status,
      );
    const link = page.locator('ies-player a.clip-link');
    await page.evaluate(() => window.player.seek(20));
    await page.keyboard.press('i');
    await page.evaluate(() => window.player.seek(32));
    await page.keyboard.press('o');
    await page.getByRole('button', { name: 'Clip range' }).click();
    await expect.poll(() => link.isVisible(), { timeout: 120_000 }).toBe(true);
    const href = (await link.getAttribute('href')) ?? '';
    expect(href).toMatch(/\/screenshare\/processed\/clips\/[0-9a-f]{32}\.mp4$/);
    const ranged = await fetch(href);
    expect(ranged.status).toBe(200);
    expect(ranged.headers.get('content-type')).toBe('video/mp4');
    await page.screenshot({ path: join(import.meta.dirname, '../../docs/player-clip.png') });

    await page.locator('ies-player .marker[data-severity=critical]').click();
    await page.getByRole('button', { name: 'Clip second_person ±30 s' }).click();
    const eventClip = await clipIdOf(
      recording.sessionId,
      'screenshare',
      recording.startMs + EVENT_AT_MS - 30_000,
      recording.startMs + EVENT_AT_MS + 30_000,
    );
    await expect.poll(status, { timeout: 120_000 }).toMatchObject({ clip_id: eventClip, status: 'ready' });
    await page.close();
  });
});
