/**
 * What a player URL opens and what it does not: its own session's events and media only, an expired link
 * said plainly, a session still recording followed live with events appearing as they are posted and
 * switched to the processed recording at the same server time once ready (a wrong playback hint in the
 * URL changing nothing), and a `fullvideo` playback (the stitched MP4) with the same controls and timeline.
 */
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processedPrefix } from '../../contracts/storage.ts';
import { signToken } from '../../worker/auth/tokens.ts';
import { call, newTenant, putObject, sql, stack, type TestTenant } from '../api/support.ts';
import {
  announcements,
  launchReviewerBrowser,
  measureRate,
  newRecording,
  openPlayer,
  postEvents,
  processed,
  upload,
  waitForState,
} from '../support/player.ts';

const DOCS = join(import.meta.dirname, '../../docs');
let browser: Browser;
let tenant: TestTenant;

beforeAll(async () => {
  tenant = await newTenant();
  browser = await launchReviewerBrowser();
});
afterAll(async () => {
  await browser?.close();
});

const playbackRoot = async (sessionId: string, expSeconds = 600) =>
  `${stack.apiBase}/playback/${await signToken(
    'pt1',
    { t: tenant.uuid, s: sessionId, sc: ['playback'], exp: Math.floor(Date.now() / 1000) + expSeconds },
    stack.tokenSigningKey,
  )}`;
const playerPage = (root: string) =>
  `${new URL(stack.apiBase).origin}/ies/player/index.html?src=${encodeURIComponent(root)}`;

describe('player access', () => {
  it('a playback token reads its own session’s events and media, never another session’s', async () => {
    const a = await newRecording(tenant, Date.now() - 60_000);
    const b = await newRecording(tenant, Date.now() - 60_000);
    await postEvents(tenant, a.sessionId, [{ type: 'a_only', severity: 'info', occurred_at_ms: a.startMs }]);
    await postEvents(tenant, b.sessionId, [{ type: 'b_only', severity: 'info', occurred_at_ms: b.startMs }]);
    await putObject(`${processedPrefix(tenant.uuid, b.sessionId, 'screenshare')}manifest.json`, '{}');
    const rootA = await playbackRoot(a.sessionId);
    const rootB = await playbackRoot(b.sessionId);
    const get = async (url: string) => {
      const response = await fetch(url);
      return { status: response.status, body: await response.text() };
    };
    const eventsA = await get(`${rootA}/events`);
    expect(eventsA.status).toBe(200);
    expect(eventsA.body).toContain('a_only');
    expect(eventsA.body).not.toContain('b_only');
    expect((await get(`${rootA}/events?session_id=${b.sessionId}`)).status).toBe(400);
    expect((await get(`${rootB}/screenshare/processed/manifest.json`)).status).toBe(200);
    expect((await get(`${rootA}/screenshare/processed/manifest.json`)).status).toBe(404);
    // URL parsing removes the `..` with the token before it: nothing is left that opens anything.
    expect([401, 404]).toContain(
      (await get(`${rootA}/../${b.sessionId}/screenshare/processed/manifest.json`)).status,
    );
    expect((await call('GET', `/playback/${encodeURIComponent('x')}/events`)).status).toBe(401);
  });

  it('an expired player URL says so', async () => {
    const { sessionId } = await newRecording(tenant, Date.now());
    const page = await openPlayer(browser, playerPage(await playbackRoot(sessionId, -60)));
    expect(await page.evaluate(() => window.player.state)).toBe('error');
    const message = page.getByRole('alert');
    await expect.poll(() => message.textContent()).toMatch(/expired/i);
    await page.screenshot({ path: join(DOCS, 'player-expired.png') });
    await page.close();
  });
});

describe('player on a session still recording', () => {
  it('follows the live playlists and shows an event posted during playback', async () => {
    const live = await newRecording(tenant, Date.now() - 60_000);
    await upload(tenant, live, ['screenshare'], [0, 1, 2, 3, 4, 5]);
    const session = (await tenant.as('GET', `/session?session_id=${live.sessionId}`)).body as {
      player_url: string;
    };
    expect(session.player_url).toContain('/ies/player/?src=');
    // The live playlist lists a chunk once its successor is processed.
    const master = `${new URL(session.player_url).searchParams.get('src')}/screenshare/processed/playlist_cache/live_master.m3u8`;
    await expect
      .poll(async () => (await fetch(master)).status, { timeout: 120_000, interval: 1000 })
      .toBe(200);
    const page = await openPlayer(browser, session.player_url);
    expect(await page.evaluate(() => window.player.state)).toBe('paused');
    await page.evaluate(() => window.player.command('PLAY'));
    await waitForState(page, ['playing']);
    const before = await page.evaluate(() => window.player.duration);
    await postEvents(tenant, live.sessionId, [
      { type: 'phone_detected', severity: 'critical', occurred_at_ms: live.startMs + 7_000 },
    ]);
    await upload(tenant, live, ['screenshare'], [6, 7]);
    await page.waitForFunction(
      () => window.player.shadowRoot?.querySelector('.marker[data-severity=critical]') !== null,
      undefined,
      { timeout: 30_000 },
    );
    await page.waitForFunction((before) => window.player.duration > before, before, { timeout: 120_000 });
    await page.screenshot({ path: join(DOCS, 'player-live.png') });
    await page.close();
  });
});

describe('player on a fullvideo playback', () => {
  it('plays the stitched MP4 with the same controls and timeline', async () => {
    const recording = await newRecording(tenant, Date.now() - 90_000);
    await upload(tenant, recording, ['screenshare'], [0, 1, 2, 3, 4, 5, 6, 7]);
    await postEvents(tenant, recording.sessionId, [
      { type: 'paste', severity: 'warning', occurred_at_ms: recording.startMs + 20_000 },
    ]);
    const announced = await announcements(tenant, ['stitched_video.available']);
    await processed(tenant, recording.sessionId);
    // The stitched MP4 is made after the session is ready, and announced once written.
    await announced.next(recording.sessionId, 'stitched_video.available');
    announced.close();
    await sql('UPDATE sessions SET playback_type = ?, playback_key = ? WHERE uuid = ?', [
      'fullvideo',
      `${processedPrefix(tenant.uuid, recording.sessionId, 'screenshare')}stitched_video/recording.mp4`,
      recording.sessionId,
    ]);
    const session = (await tenant.as('GET', `/session?session_id=${recording.sessionId}`)).body as {
      playback: { type: string };
      player_url: string;
    };
    expect(session.playback.type).toBe('fullvideo');
    const page = await openPlayer(browser, session.player_url);
    expect(await page.evaluate(() => window.player.state)).toBe('paused');
    expect(await page.locator('ies-player .marker').count()).toBe(1);
    const { rate } = await measureRate(page, 'PLAY', 5, 3);
    expect(rate).toBeGreaterThan(0.8);
    expect(rate).toBeLessThan(1.2);
    const forward = await measureRate(page, 'SEEK_FORWARD_8', 2, 3);
    expect(forward.rate).toBeGreaterThan(6.4);
    expect(forward.rate).toBeLessThan(9.6);
    await page.close();
  });
});

describe('live to processed', () => {
  it('switches to the processed recording once ready, keeping the position', async () => {
    const live = await newRecording(tenant, Date.now() - 60_000);
    await upload(tenant, live, ['screenshare'], [0, 1, 2, 3, 4, 5]);
    const { player_url } = (await tenant.as('GET', `/session?session_id=${live.sessionId}`)).body as {
      player_url: string;
    };
    const master = `${new URL(player_url).searchParams.get('src')}/screenshare/processed/playlist_cache/live_master.m3u8`;
    await expect
      .poll(async () => (await fetch(master)).status, { timeout: 120_000, interval: 1000 })
      .toBe(200);
    const page = await openPlayer(browser, player_url);
    expect(await page.evaluate(() => window.player.live)).toBe(true);
    await page.evaluate(() => window.player.seek(12));
    const at = await page.evaluate(() => window.player.startMs + window.player.currentTime * 1000);

    const ready = await processed(tenant, live.sessionId);
    await page.waitForFunction(() => !window.player.live && window.player.state === 'paused', undefined, {
      timeout: 60_000,
      polling: 200,
    });
    const after = await page.evaluate(() => ({
      at: window.player.startMs + window.player.currentTime * 1000,
      duration: window.player.duration,
      badge: window.player.shadowRoot?.querySelector<HTMLElement>('.live')?.hidden,
    }));
    expect(Math.abs(after.at - at)).toBeLessThan(500);
    expect(after.duration).toBeCloseTo(30, 0);
    expect(after.badge).toBe(true);
    await page.close();

    // A hint naming another asset than the session plays is only a hint: the session's state decides.
    const wrong = new URL(ready.player_url);
    expect(wrong.searchParams.get('playback')).toBe('screenshare/processed/hls_playlist/master.m3u8');
    wrong.searchParams.set('playback', 'webcam/processed/hls_playlist/master.m3u8');
    const hinted = await openPlayer(browser, wrong.href);
    expect(await hinted.evaluate(() => window.player.state)).toBe('paused');
    await hinted.evaluate(() => window.player.command('PLAY'));
    await waitForState(hinted, ['playing']);
    await hinted.waitForFunction(() => window.player.currentTime > 1, undefined, { timeout: 20_000 });
    await hinted.close();
  });
});
