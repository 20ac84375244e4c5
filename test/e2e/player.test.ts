/**
 * The reviewer's player on a session processed by the whole stack (100 s of screen and webcam, one chunk
 * missing): the seed's commands move the position at their speeds, backward too with changing pictures,
 * over the element and over postMessage from a parent page; screenshots of its states go to docs/.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseStoryboard, tileAt } from '../../player/storyboard.ts';
import { newTenant, type TestTenant } from '../api/support.ts';
import {
  announcements,
  launchReviewerBrowser,
  measureRate,
  newRecording,
  openPlayer,
  postEvents,
  processed,
  type Recording,
  upload,
} from '../support/player.ts';

const DOCS = join(import.meta.dirname, '../../docs');
const SEQS = Array.from({ length: 20 }, (_, seq) => seq).filter((seq) => seq !== 15);

let browser: Browser;
let tenant: TestTenant;
let recording: Recording;
let playerUrl: string;
let page: Page;
let announced: Awaited<ReturnType<typeof announcements>>;

beforeAll(async () => {
  tenant = await newTenant();
  announced = await announcements(tenant, ['storyboard.available']);
  recording = await newRecording(tenant, Date.now() - 120_000);
  await upload(tenant, recording, ['screenshare', 'webcam'], SEQS);
  await postEvents(tenant, recording.sessionId, [
    { type: 'tab_switch', severity: 'info', occurred_at_ms: recording.startMs + 12_000 },
    {
      type: 'paste',
      severity: 'warning',
      occurred_at_ms: recording.startMs + 33_500,
      details: { chars: 412 },
    },
    { type: 'second_person', severity: 'critical', occurred_at_ms: recording.startMs + 61_000 },
  ]);
  playerUrl = (await processed(tenant, recording.sessionId)).player_url;
  // Ready comes once the recording plays; its storyboard is announced after, and the player reads it at load.
  await announced.next(recording.sessionId, 'storyboard.available');
  browser = await launchReviewerBrowser();
  page = await openPlayer(browser, playerUrl);
}, 300_000);

afterAll(async () => {
  announced?.close();
  await browser?.close();
});

describe('player commands', () => {
  it('loads the session paused with screen and webcam', async () => {
    expect(await page.evaluate(() => window.player.state)).toBe('paused');
    expect(await page.evaluate(() => window.player.duration)).toBeCloseTo(100, 0);
    await page.screenshot({ path: join(DOCS, 'player-paused.png') });
  });

  it('PLAY advances about 1 s per second', async () => {
    const { rate, state } = await measureRate(page, 'PLAY', 20);
    expect(state).toBe('playing');
    expect(rate).toBeGreaterThan(0.8);
    expect(rate).toBeLessThan(1.2);
  });

  it('SEEK_FORWARD_8 advances about 8 s per second', async () => {
    const { rate, state } = await measureRate(page, 'SEEK_FORWARD_8', 5);
    expect(state).toBe('seeking_forward');
    expect(rate).toBeGreaterThan(6.4);
    expect(rate).toBeLessThan(9.6);
  });

  it('SEEK_BACKWARD_4 moves back about 4 s per second and shows changing pictures', async () => {
    const { rate, pictures, state } = await measureRate(page, 'SEEK_BACKWARD_4', 70);
    expect(state).toBe('seeking_backward');
    expect(rate).toBeLessThan(-3.2);
    expect(rate).toBeGreaterThan(-4.8);
    // 4 new pictures a second over the 4 s measured, allowing for the odd frame still loading.
    expect(pictures).toBeGreaterThanOrEqual(12);
  });
});

describe('player over postMessage', () => {
  it('runs every command sent by a parent page and tells it the state', async () => {
    const parent = await browser.newPage();
    await parent.setContent(`<iframe src="${playerUrl}" width="960" height="640"></iframe>`);
    await parent.evaluate(() => {
      const w = window as unknown as { states: Array<Record<string, unknown>> };
      w.states = [];
      window.addEventListener('message', (e) => {
        if (e.data?.type === 'ies:state') w.states.push(e.data);
      });
    });
    const lastState = () =>
      parent.evaluate(() =>
        (window as unknown as { states: Array<{ state: string; speed: number }> }).states.at(-1),
      );
    await expect.poll(async () => (await lastState())?.state, { timeout: 60_000 }).toBe('paused');
    const expected: Array<[string, string, number]> = [
      ['PLAY', 'playing', 1],
      ['PAUSE', 'paused', 0],
      ...[2, 4, 8, 16].flatMap(
        (speed): Array<[string, string, number]> => [
          [`SEEK_FORWARD_${speed}`, 'seeking_forward', speed],
          [`SEEK_BACKWARD_${speed}`, 'seeking_backward', speed],
        ],
      ),
    ];
    const statesSince = (from: number) =>
      parent.evaluate(
        (from) =>
          (window as unknown as { states: Array<{ state: string; speed: number }> }).states.slice(from),
        from,
      );
    for (const [command, state, speed] of expected) {
      const from = await parent.evaluate(() => (window as unknown as { states: unknown[] }).states.length);
      await parent.evaluate((command) => {
        document.querySelector('iframe')?.contentWindow?.postMessage({ type: 'ies:command', command }, '*');
      }, command);
      // Any state told since the command: seeking back from near the start reaches it and pauses at once,
      // so the state it entered need not be the last one by the time the page is asked.
      await expect
        .poll(async () => (await statesSince(from)).some((s) => s.state === state && s.speed === speed), {
          timeout: 10_000,
        })
        .toBe(true);
    }
    await parent.close();
  });
});

describe('player timeline', () => {
  it('puts event markers at their times; a click seeks there; previous and next move between them', async () => {
    const markers = await page.evaluate(() =>
      [...(window.player.shadowRoot?.querySelectorAll<HTMLElement>('.marker') ?? [])].map((m) => ({
        time: Number(m.dataset.time),
        left: Number.parseFloat(m.style.left),
        severity: m.dataset.severity,
      })),
    );
    expect(markers.map((m) => m.severity)).toEqual(['info', 'warning', 'critical']);
    const duration = await page.evaluate(() => window.player.duration);
    for (const [marker, at] of markers.map((m, i) => [m, [12, 33.5, 61][i] ?? 0] as const)) {
      expect(marker.time).toBeCloseTo(at, 1);
      expect(marker.left).toBeCloseTo((at / duration) * 100, 1);
    }
    await page.evaluate(() => window.player.command('PAUSE'));
    await page.locator('ies-player .marker[data-severity=warning]').click();
    await expect.poll(() => page.evaluate(() => window.player.currentTime)).toBeGreaterThan(32.5);
    expect(Math.abs((await page.evaluate(() => window.player.currentTime)) - 33.5)).toBeLessThan(1);
    await page.locator('ies-player .marker[data-severity=warning]').hover();
    await page.screenshot({ path: join(DOCS, 'player-event.png') });
    await page.getByRole('button', { name: 'Next event' }).click();
    expect(Math.abs((await page.evaluate(() => window.player.currentTime)) - 61)).toBeLessThan(1);
    await page.keyboard.press('[');
    await page.keyboard.press('[');
    expect(Math.abs((await page.evaluate(() => window.player.currentTime)) - 12)).toBeLessThan(1);
  });

  it('shows the storyboard tile for the time under the pointer, and shades the missing chunk', async () => {
    const bar = page.locator('ies-player .timeline');
    const box = await bar.boundingBox();
    if (!box) throw new Error('no timeline');
    await page.mouse.move(box.x + box.width * 0.42, box.y + box.height / 2);
    const tile = await page.evaluate(
      () => window.player.shadowRoot?.querySelector<HTMLElement>('.tile')?.dataset.tile,
    );
    const duration = await page.evaluate(() => window.player.duration);
    const vttUrl = playerUrlToRoot(playerUrl) + '/screenshare/processed/frame_thumbnails/storyboard.vtt';
    const expected = tileAt(parseStoryboard(await (await fetch(vttUrl)).text()), 0.42 * duration);
    expect(tile).toBe(`${expected?.sheet}#xywh=${expected?.x},${expected?.y},${expected?.w},${expected?.h}`);
    await page.screenshot({ path: join(DOCS, 'player-storyboard.png') });
    const bands = await page.evaluate(() =>
      [...(window.player.shadowRoot?.querySelectorAll<HTMLElement>('.band') ?? [])].map((b) => [
        Number(b.dataset.start),
        Number(b.dataset.end),
      ]),
    );
    expect(bands).toHaveLength(1);
    expect(bands[0]?.[0]).toBeCloseTo(75, 0);
    expect(bands[0]?.[1]).toBeCloseTo(80, 0);
  });
});

/** The playback root a player URL carries in its `src` parameter. */
function playerUrlToRoot(url: string): string {
  return new URL(url).searchParams.get('src') ?? '';
}
