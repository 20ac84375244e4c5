/**
 * A reviewer's browser on the player: sessions made of generated chunks uploaded as a recorder would
 * (object in S3, chunk notice with the candidate token) and processed by the stack's transcoder, and the
 * player page opened in headless Chromium with the element's state read from the page.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { type Asset, formatChunkName, rawPrefix } from '../../contracts/storage.ts';
import type { WebhookEventType, WebhookPayload } from '../../contracts/webhooks.ts';
import { admin, call, candidateToken, newSession, putObject, type TestTenant } from '../api/support.ts';
import { CHROMIUM_ARGS, makeChunk } from './chunks.ts';

export const CHUNK_MS = 5000;

/** One chunk file per asset, made once: every seq uploads the same bytes. */
const files = new Map<Asset, Promise<string>>();
function chunkFile(asset: Asset): Promise<string> {
  let file = files.get(asset);
  if (!file) {
    const size = asset === 'webcam' ? { width: 320, height: 240 } : { width: 640, height: 360 };
    file = mkdtemp(join(tmpdir(), 'ies-player-')).then((dir) =>
      makeChunk(dir, { ...size, durationSec: CHUNK_MS / 1000, fps: 15, vfr: false }),
    );
    files.set(asset, file);
  }
  return file;
}

export interface Recording {
  sessionId: string;
  /** Server time of the first chunk: the session timeline's start. */
  startMs: number;
  token: string;
}

/** Creates a session whose chunks start at `startMs`, for `upload` to add to. */
export async function newRecording(tenant: TestTenant, startMs: number): Promise<Recording> {
  const { sessionId } = await newSession(tenant);
  return { sessionId, startMs, token: await candidateToken(tenant, sessionId) };
}

/** Uploads the chunks `seqs` of each asset and announces them, as the recorder does. */
export async function upload(tenant: TestTenant, recording: Recording, assets: Asset[], seqs: number[]) {
  for (const seq of seqs) {
    for (const asset of assets) {
      const name = formatChunkName({
        seq,
        startMs: recording.startMs + seq * CHUNK_MS,
        durationMs: CHUNK_MS,
        ext: 'webm',
      });
      const key = `${rawPrefix(tenant.uuid, recording.sessionId, asset)}${name}`;
      await putObject(key, await readFile(await chunkFile(asset)));
      const notice = await call('POST', '/session/chunks', {
        headers: { Authorization: `Bearer ${recording.token}` },
        json: { key },
      });
      expect(notice.status, notice.text).toBe(202);
    }
  }
}

/** Asks for processing and waits until the session is ready; returns its GET /session body. */
export async function processed(tenant: TestTenant, sessionId: string) {
  expect((await tenant.as('POST', '/session/process', { session_id: sessionId })).status).toBe(200);
  const deadline = Date.now() + 230_000;
  while (
    ((await tenant.as('GET', `/session?session_id=${sessionId}`)).body as { status: string }).status !==
    'ready'
  ) {
    if (Date.now() > deadline) throw new Error(`session ${sessionId} not ready in time`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  return (await tenant.as('GET', `/session?session_id=${sessionId}`)).body as {
    playback: { url: string; type: string };
    player_url: string;
  };
}

/**
 * The tenant's webhooks of `types`, registered by the operator to a receiver on this machine, so a test can
 * wait for what the service announces (`next`) rather than for time to pass. Register before the events.
 */
export async function announcements(tenant: TestTenant, types: WebhookEventType[]) {
  const received: WebhookPayload[] = [];
  const receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (data) => (body += data));
    request.on('end', () => {
      received.push(JSON.parse(body));
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`;
  const created = await admin('POST', `/tenants/${tenant.uuid}/webhooks`, { url, events: types });
  expect(created.status, created.text).toBe(201);
  return {
    /** The first delivery of `type` for the session. */
    async next(sessionId: string, type: WebhookEventType, timeoutMs = 180_000): Promise<WebhookPayload> {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const found = received.find((event) => event.session_uuid === sessionId && event.type === type);
        if (found) return found;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      throw new Error(`no ${type} for session ${sessionId} in time`);
    },
    close: () => receiver.close(),
  };
}

/** Posts integrity events with the tenant key. */
export async function postEvents(
  tenant: TestTenant,
  sessionId: string,
  events: Array<{
    type: string;
    severity: string;
    occurred_at_ms: number;
    details?: Record<string, unknown>;
  }>,
) {
  const reply = await tenant.as('POST', '/session/events', {
    session_id: sessionId,
    events: events.map((event, i) => ({
      details: {},
      idempotency_key: `${event.type}-${event.occurred_at_ms}-${i}`,
      ...event,
    })),
  });
  expect(reply.status, reply.text).toBe(200);
}

export async function launchReviewerBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

/** The `<ies-player>` element as tests drive it (`player/element.ts`). */
interface PlayerElement extends HTMLElement {
  state: string;
  speed: number;
  currentTime: number;
  duration: number;
  pictures: number;
  startMs: number;
  live: boolean;
  command(name: string): void;
  seek(time: number): void;
  jumpToEvent(way: 'previous' | 'next'): void;
}

declare global {
  interface Window {
    player: PlayerElement;
  }
}

/** Opens the player page and waits until it is ready to play (or shows an error). */
export async function openPlayer(browser: Browser, playerUrl: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1100, height: 760 } });
  await page.goto(playerUrl);
  await page.evaluate(() => {
    window.player = document.querySelector('ies-player') as PlayerElement;
  });
  await waitForState(page, ['paused', 'error']);
  return page;
}

export async function waitForState(page: Page, states: string[], timeout = 60_000) {
  await page.waitForFunction((wanted) => wanted.includes(window.player?.state ?? ''), states, {
    timeout,
    polling: 100,
  });
}

/**
 * Runs `command`, waits until the position moves, then measures how fast it moves over `seconds` of the
 * page's own clock; also counts the pictures shown meanwhile.
 */
export async function measureRate(page: Page, command: string, from: number, seconds = 4) {
  return page.evaluate(
    async ({ command, from, seconds }) => {
      const player = window.player;
      const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
      player.command('PAUSE');
      player.seek(from);
      player.command(command);
      const origin = player.currentTime;
      while (Math.abs(player.currentTime - origin) < 0.3) await sleep(20);
      const t0 = performance.now();
      const x0 = player.currentTime;
      const pictures0 = player.pictures;
      await sleep(seconds * 1000);
      const rate = (player.currentTime - x0) / ((performance.now() - t0) / 1000);
      const pictures = player.pictures - pictures0;
      const state = player.state;
      player.command('PAUSE');
      return { rate, pictures, state };
    },
    { command, from, seconds },
  );
}
