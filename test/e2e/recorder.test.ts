/**
 * The recorder SDK in a candidate's browser, on the demo tenant's page: real capture (Chromium's fake
 * screen and camera), chunks named on server time and uploaded through the persistent queue, surviving
 * an outage and a reload, and raising integrity signals.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { ASSETS, type Asset, sessionPrefix, VIDEO_ASSETS } from '../../contracts/storage.ts';
import { stack, withKey } from '../api/support.ts';
import {
  candidateUrl,
  launchCandidateBrowser,
  objectBytes,
  queuedNames,
  statsOf,
  storedChunks,
  waitForStats,
} from '../support/candidate.ts';

const run = promisify(execFile);
const tenant = withKey(stack.tenant.uuid, stack.tenant.apiKey, '');
const SCREENSHOT = new URL('../../docs/demo-candidate.png', import.meta.url).pathname;

/** The session the demo server created for an attempt. */
async function sessionOf(uniqueIdentifier: string): Promise<string> {
  const reply = await tenant.as('GET', `/session?unique_identifier=${encodeURIComponent(uniqueIdentifier)}`);
  return (reply.body as { session_id: string }).session_id;
}

/** Runs `body` with a candidate's page in a fresh browser, closed afterwards. */
async function withCandidate(body: (page: Page, context: BrowserContext) => Promise<void>) {
  const { browser, context } = await launchCandidateBrowser();
  try {
    await body(await context.newPage(), context);
  } finally {
    await browser.close();
  }
}

/** Every asset's chunks in S3 carry the seqs 0…n−1, each once, and the names the page queued. */
async function expectEveryChunkOnce(session: string, queued: Array<{ asset: Asset; name: string }>) {
  for (const asset of ASSETS) {
    const stored = await storedChunks(stack.tenant.uuid, session, asset);
    const names = queued.filter((chunk) => chunk.asset === asset).map((chunk) => chunk.name);
    expect(
      stored.map((chunk) => chunk.seq),
      asset,
    ).toEqual(stored.map((_, i) => i));
    expect(
      stored.map((chunk) => chunk.name),
      asset,
    ).toEqual(expect.arrayContaining(names));
  }
}

describe('recorder SDK on the demo candidate page', () => {
  it('records 30 s of screen, webcam and screenshots as self-contained chunks with no hole, processed without a gap', async () => {
    const attempt = `attempt-${randomUUID()}`;
    await withCandidate(async (page) => {
      await page.goto(candidateUrl(attempt));
      await waitForStats(page, (s) => s.state === 'recording');
      await waitForStats(page, (s, n) => s.recorded.screenshare >= n && s.recorded.webcam >= n, 6);
      await waitForStats(page, (s) => s.uploaded.screenshare > 0 && s.clockRttMs !== null);
      await mkdir(join(SCREENSHOT, '..'), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      await page.click('#end');
      await page.waitForFunction(() => window.iesEnded !== undefined, undefined, { timeout: 150_000 });
      const ended = await page.evaluate(() => window.iesEnded);
      expect(ended?.status).toBe(202);
      expect(ended?.summary.pending).toBe(0);
      const events = await page.evaluate(() => window.iesEvents.map((e) => e.event));
      expect(events).not.toContain('surface_not_monitor');
    });

    const session = await sessionOf(attempt);
    const dir = await mkdtemp(join(tmpdir(), 'ies-recorder-'));
    try {
      for (const asset of VIDEO_ASSETS) {
        const chunks = await storedChunks(stack.tenant.uuid, session, asset);
        expect(chunks.length, asset).toBeGreaterThanOrEqual(6);
        expect(chunks.map((chunk) => chunk.seq)).toEqual(chunks.map((_, i) => i));
        for (const [i, chunk] of chunks.entries()) {
          const previous = chunks[i - 1];
          if (previous) {
            const hole = chunk.startMs - (previous.startMs + previous.durationMs);
            expect(hole, `${asset} ${previous.name} → ${chunk.name}`).toBeLessThanOrEqual(100);
          }
          const file = join(dir, chunk.name);
          await writeFile(file, await objectBytes(chunk.key));
          const { stdout, stderr } = await run('ffprobe', [
            ...['-v', 'error', '-select_streams', 'v:0', '-count_frames'],
            ...['-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', file],
          ]);
          expect(stderr, chunk.name).toBe('');
          expect(Number(stdout.trim()), chunk.name).toBeGreaterThan(0);
        }
      }
      expect((await storedChunks(stack.tenant.uuid, session, 'screenshots')).length).toBeGreaterThanOrEqual(
        5,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }

    await expect
      .poll(
        async () =>
          ((await tenant.as('GET', `/session?session_id=${session}`)).body as { status: string }).status,
        {
          timeout: 180_000,
          interval: 1000,
        },
      )
      .toBe('ready');
    const manifest = JSON.parse(
      (
        await objectBytes(`${sessionPrefix(stack.tenant.uuid, session)}screenshare/processed/manifest.json`)
      ).toString(),
    ) as { assets: Record<string, { gaps: unknown[]; missing_seq_count: number }> };
    for (const asset of VIDEO_ASSETS) {
      expect(manifest.assets[asset]?.gaps, asset).toEqual([]);
      expect(manifest.assets[asset]?.missing_seq_count, asset).toBe(0);
    }
    // The demo's review link, the page's "Watch the recording", now opens the signed player.
    const review = await fetch(`${stack.demoUrl}/review?session_id=${session}`, { redirect: 'manual' });
    expect(review.status).toBe(302);
    const { player_url } = (await tenant.as('GET', `/session?session_id=${session}`)).body as {
      player_url: string;
    };
    const location = new URL(review.headers.get('location') ?? '');
    expect(location.origin + location.pathname).toBe(
      new URL(player_url).origin + new URL(player_url).pathname,
    );
  }, 300_000);

  it('uploads every chunk exactly once after 20 s offline', async () => {
    const attempt = `attempt-${randomUUID()}`;
    let queued: Awaited<ReturnType<typeof queuedNames>> = [];
    await withCandidate(async (page, context) => {
      await page.goto(candidateUrl(attempt));
      await waitForStats(page, (s) => s.uploaded.screenshare > 0);
      const before = (await statsOf(page)).recorded.screenshare;
      await context.setOffline(true);
      // Four more 5 s screen chunks: 20 s without a network.
      await waitForStats(page, (s, n) => s.recorded.screenshare >= n, before + 4);
      expect((await statsOf(page)).pending).toBeGreaterThanOrEqual(4);
      await context.setOffline(false);
      const back = (await statsOf(page)).recorded.screenshare;
      await waitForStats(page, (s, n) => s.recorded.screenshare >= n && s.pending === 0, back + 1);
      const summary = await page.evaluate(() => window.iesRecorder.stop());
      expect(summary.pending).toBe(0);
      queued = await queuedNames(page);
      for (const asset of ASSETS) {
        expect(summary.uploaded[asset], asset).toBe(summary.chunks[asset]);
      }
    });
    await expectEveryChunkOnce(await sessionOf(attempt), queued);
  }, 240_000);

  it('uploads chunks a reload left queued, and numbers on after them', async () => {
    const attempt = `attempt-${randomUUID()}`;
    const uploads = `${stack.s3.uploadEndpoint}/**`;
    let queued: Awaited<ReturnType<typeof queuedNames>> = [];
    await withCandidate(async (page, context) => {
      await page.goto(candidateUrl(attempt));
      await waitForStats(page, (s) => s.uploaded.screenshare > 0);
      // S3 unreachable: what is recorded now stays queued, through the reload.
      await context.route(uploads, (route) => route.abort());
      const held = (await statsOf(page)).recorded.screenshare;
      await waitForStats(page, (s, n) => s.recorded.screenshare >= n, held + 2);
      const beforeReload = await queuedNames(page);
      await page.reload();
      await waitForStats(page, (s) => s.state === 'recording' && s.recorded.screenshare > 0);
      expect((await statsOf(page)).pending).toBeGreaterThanOrEqual(3);
      const afterReload = await queuedNames(page);
      const lastBefore = Math.max(...beforeReload.filter((c) => c.asset === 'screenshare').map((c) => c.seq));
      const firstAfter = Math.min(...afterReload.filter((c) => c.asset === 'screenshare').map((c) => c.seq));
      expect(firstAfter).toBeGreaterThan(lastBefore);
      await context.unroute(uploads);
      await waitForStats(page, (s) => s.pending === 0);
      expect((await page.evaluate(() => window.iesRecorder.stop())).pending).toBe(0);
      queued = [...beforeReload, ...afterReload];
    });
    await expectEveryChunkOnce(await sessionOf(attempt), queued);
  }, 240_000);

  it('raises share_stopped when the screen-share track ends, stored as an integrity event; the screen recording ends, the webcam goes on', async () => {
    const attempt = `attempt-${randomUUID()}`;
    await withCandidate(async (page, context) => {
      // Keeps the captured stream reachable, as the browser's "Stop sharing" button would end it.
      await context.addInitScript(() => {
        const devices = navigator.mediaDevices;
        const capture = devices.getDisplayMedia.bind(devices);
        devices.getDisplayMedia = async (options) => {
          const stream = await capture(options);
          (window as unknown as { iesScreen: MediaStream }).iesScreen = stream;
          return stream;
        };
      });
      await page.goto(candidateUrl(attempt));
      await waitForStats(page, (s) => s.state === 'recording' && s.recorded.screenshare > 0);
      const before = (await statsOf(page)).recorded.screenshare;
      await page.evaluate(() => {
        const track = (window as unknown as { iesScreen: MediaStream }).iesScreen.getVideoTracks()[0];
        // A page's own stop() fires no `ended` (Media Capture and Streams, MediaStreamTrack.stop()); the
        // browser fires it when the candidate stops sharing, so the test fires it too.
        track?.stop();
        track?.dispatchEvent(new Event('ended'));
      });
      await page.waitForFunction(() => window.iesEvents.some((e) => e.event === 'share_stopped'));
      const webcam = (await statsOf(page)).recorded.webcam;
      await waitForStats(page, (s, n) => s.recorded.webcam >= n, webcam + 2);
      // At most the chunk in progress when sharing stopped (none when it held no frame yet), then nothing.
      expect((await statsOf(page)).recorded.screenshare).toBeLessThanOrEqual(before + 1);
      const events = await page.evaluate(() => window.iesEvents.map((e) => e.event));
      expect(events).not.toContain('recorder_error');
      // The tenant finds it among the session's integrity events, from the candidate's browser.
      const session = await sessionOf(attempt);
      await expect
        .poll(async () => (await tenant.as('GET', `/session/events?session_id=${session}`)).body, {
          timeout: 30_000,
        })
        .toMatchObject({
          events: expect.arrayContaining([
            expect.objectContaining({ type: 'share_stopped', severity: 'critical', source: 'candidate' }),
          ]),
        });
    });
  }, 120_000);
});
