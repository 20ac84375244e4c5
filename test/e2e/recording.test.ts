/**
 * A whole recording: a real MediaRecorder in Chromium makes the chunks, they are uploaded with the
 * candidate's presigned policies and announced, the transcoder processes them as they land and finalizes at
 * the attempt's end, and the recording plays back through the Worker's signed playback URL.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import HLS from 'hls-parser';
import { describe, expect, it } from 'vitest';
import { ServiceEvent } from '../../contracts/jobs.ts';
import { formatChunkName, rawPrefix } from '../../contracts/storage.ts';
import { call, candidateToken, drainQueue, newSession, newTenant, stack } from '../api/support.ts';
import { recordMediaRecorderChunks } from '../support/chunks.ts';

const run = promisify(execFile);
describe('recording → processing → playback', () => {
  it('plays back a real browser recording through the signed playback URL', async () => {
    const tenant = await newTenant();
    const { sessionId } = await newSession(tenant);
    const token = await candidateToken(tenant, sessionId);
    const auth = { Authorization: `Bearer ${token}` };

    const dir = await mkdtemp(join(tmpdir(), 'ies-e2e-'));
    const chunks = await recordMediaRecorderChunks(dir, {
      chunks: 3,
      chunkMs: 2000,
      width: 1280,
      height: 720,
    });
    expect(chunks).toHaveLength(3);

    for (const chunk of chunks) {
      const policy = await call('GET', '/session/presigned-policy?asset=screenshare', { headers: auth });
      expect(policy.status).toBe(200);
      const { postFields, url } = policy.body as { postFields: Record<string, string>; url: string };
      const name = formatChunkName({
        seq: chunk.seq,
        startMs: chunk.startMs,
        durationMs: chunk.durationMs,
        ext: 'webm',
      });
      const form = new FormData();
      for (const [field, value] of Object.entries(postFields)) form.append(field, value);
      form.append('file', new Blob([await readFile(chunk.file)], { type: 'video/webm' }), name);
      expect((await fetch(url, { method: 'POST', body: form })).status).toBeLessThan(300);
      const key = `${rawPrefix(tenant.uuid, sessionId, 'screenshare')}${name}`;
      expect((await call('POST', '/session/chunks', { headers: auth, json: { key } })).status).toBe(202);
    }

    expect((await tenant.as('POST', '/session/process', { session_id: sessionId })).status).toBe(200);
    await expect
      .poll(
        async () =>
          ((await tenant.as('GET', `/session?session_id=${sessionId}`)).body as { status: string }).status,
        {
          timeout: 180_000,
          interval: 1000,
        },
      )
      .toBe('ready');

    const session = (await tenant.as('GET', `/session?session_id=${sessionId}`)).body as {
      playback: { url: string; type: string };
    };
    expect(session.playback.type).toBe('hls_masterplaylist');
    const master = HLS.parse(await (await fetch(session.playback.url)).text());
    expect(master.isMasterPlaylist).toBe(true);
    expect((master as { variants: unknown[] }).variants.length).toBe(3);

    const { stderr } = await run('ffmpeg', ['-v', 'error', '-i', session.playback.url, '-f', 'null', '-']);
    expect(stderr).toBe('');
    const { stdout } = await run('ffprobe', [
      '-v',
      'error',
      '-show_entries',
      'format=duration',
      '-of',
      'csv=p=0',
      session.playback.url,
    ]);
    const last = chunks.at(-1);
    const timelineSec = ((last?.startMs ?? 0) + (last?.durationMs ?? 0) - (chunks[0]?.startMs ?? 0)) / 1000;
    expect(Math.abs(Number(stdout.trim()) - timelineSec)).toBeLessThan(0.2);

    // The storyboard and the stitched video come after the session is ready, each announced when written.
    const seen: ServiceEvent[] = [];
    await expect
      .poll(
        async () => {
          const drained = await drainQueue(stack.sqs.eventsQueueUrl, (body) => ServiceEvent.parse(body));
          seen.push(...drained.filter((event) => event.session_uuid === sessionId));
          // A chunk job may still be announcing its frames after finalize has made the session ready.
          const frames = seen.filter((event) => event.type === 'frames.available').length;
          return frames >= 3 && seen.some((event) => event.type === 'stitched_video.available');
        },
        { timeout: 120_000, interval: 1000 },
      )
      .toBe(true);
    const at = (type: ServiceEvent['type']) => {
      const found = seen.filter((event) => event.type === type);
      expect(found, type).toHaveLength(1);
      return Date.parse(found[0]?.occurred_at ?? '');
    };
    expect(at('session.processed')).toBeLessThanOrEqual(at('storyboard.available'));
    expect(at('storyboard.available')).toBeLessThanOrEqual(at('stitched_video.available'));
    const stitched = await fetch(
      session.playback.url.replace('hls_playlist/master.m3u8', 'stitched_video/recording.mp4'),
    );
    expect(stitched.status).toBe(200);
  });
});
