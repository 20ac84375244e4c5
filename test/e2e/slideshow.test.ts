/**
 * A session of the previous recorder, which uploaded only screenshots, is processed by the stack's
 * transcoder into a slideshow that GET /session hands out as `fullvideo`, played through the Worker.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { formatChunkName, rawPrefix } from '../../contracts/storage.ts';
import { newSession, newTenant, putObject } from '../api/support.ts';
import { solidJpeg } from '../support/media.ts';

const run = promisify(execFile);

describe('a screenshots-only session', () => {
  it('plays back as a fullvideo slideshow of its timeline', async () => {
    const tenant = await newTenant();
    const { sessionId } = await newSession(tenant);
    const dir = await mkdtemp(join(tmpdir(), 'ies-e2e-slideshow-'));
    const startMs = Date.now();
    // Red at 0 s, blue at 2 s and 4 s: the last held for the median interval, 2 s, so 6 s in all.
    for (const [seq, colour] of ['red', 'blue', 'blue'].entries()) {
      const file = join(dir, `${seq}.jpg`);
      await solidJpeg(file, colour);
      const name = formatChunkName({ seq, startMs: startMs + seq * 2000, durationMs: 0, ext: 'jpg' });
      await putObject(`${rawPrefix(tenant.uuid, sessionId, 'screenshots')}${name}`, await readFile(file));
    }
    expect((await tenant.as('POST', '/session/process', { session_id: sessionId })).status).toBe(200);
    await expect
      .poll(
        async () =>
          ((await tenant.as('GET', `/session?session_id=${sessionId}`)).body as { status: string }).status,
        { timeout: 120_000, interval: 1000 },
      )
      .toBe('ready');
    const session = (await tenant.as('GET', `/session?session_id=${sessionId}`)).body as {
      playback: { url: string; type: string };
    };
    expect(session.playback.type).toBe('fullvideo');
    expect(session.playback.url).toContain('/screenshots/processed/stitched_video/recording.mp4');
    const response = await fetch(session.playback.url);
    expect(response.status).toBe(200);
    const mp4 = join(dir, 'recording.mp4');
    await writeFile(mp4, new Uint8Array(await response.arrayBuffer()));
    const { stdout } = await run('ffprobe', [
      '-v',
      'error',
      '-show_entries',
      'format=duration',
      '-of',
      'json',
      mp4,
    ]);
    expect(Math.abs(Number(JSON.parse(stdout).format.duration) - 6)).toBeLessThanOrEqual(0.1);
  });
});
