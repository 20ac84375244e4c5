/**
 * A candidate's browser on the demo tenant's page: headless Chromium with fake capture devices, the
 * recorder SDK's state read from the page, and what the recording left in S3.
 */
import { randomUUID } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { type Asset, parseChunkName, rawPrefix } from '../../contracts/storage.ts';
import type { Recorder, RecorderEventName, RecorderStats, RecorderSummary } from '../../recorder/index.ts';
import { stack } from '../api/support.ts';
import { CHROMIUM_ARGS } from './chunks.ts';

declare global {
  interface Window {
    iesRecorder: Recorder;
    iesEvents: Array<{ event: RecorderEventName; payload: unknown; at: number }>;
    iesEnded?: { summary: RecorderSummary; status: number };
  }
}

/**
 * Chromium answers getUserMedia and getDisplayMedia with fake devices and no prompt
 * (`--use-fake-ui-for-media-stream`, `--use-fake-device-for-media-stream`): a 1280×720 "monitor" and a
 * 640×480 camera with a tone.
 */
export async function launchCandidateBrowser(): Promise<{ browser: Browser; context: BrowserContext }> {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [...CHROMIUM_ARGS, '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'],
  });
  const context = await browser.newContext({ permissions: ['camera', 'microphone'] });
  return { browser, context };
}

/** The demo candidate page URL for a new attempt, recording at once. */
export function candidateUrl(uniqueIdentifier = `attempt-${randomUUID()}`, screenshotEveryMs = 5000): string {
  const query = new URLSearchParams({
    unique_identifier: uniqueIdentifier,
    autostart: '1',
    chunk_ms: '5000',
    screenshot_every_ms: String(screenshotEveryMs),
  });
  return `${stack.demoUrl}/candidate?${query}`;
}

/** The recorder's stats in the page. */
export const statsOf = (page: Page): Promise<RecorderStats> =>
  page.evaluate(() => window.iesRecorder.stats());

/**
 * Waits until the recorder's stats satisfy `test`, which runs in the page: it must use nothing but its
 * arguments.
 */
export async function waitForStats(
  page: Page,
  test: (stats: RecorderStats, arg: number) => boolean,
  arg = 0,
  timeout = 120_000,
): Promise<void> {
  await page.waitForFunction(
    `window.iesRecorder !== undefined && (${test.toString()})(window.iesRecorder.stats(), ${arg})`,
    undefined,
    { polling: 250, timeout },
  );
}

/** Names of the chunks the page queued (from its `chunk` events), per asset. */
export async function queuedNames(page: Page): Promise<Array<{ asset: Asset; seq: number; name: string }>> {
  return page.evaluate(() =>
    window.iesEvents
      .filter((e) => e.event === 'chunk')
      .map((e) => e.payload as { asset: Asset; seq: number; name: string }),
  );
}

const s3 = new S3Client({
  region: stack.s3.region,
  endpoint: stack.s3.endpoint,
  forcePathStyle: true,
  credentials: { accessKeyId: stack.s3.accessKeyId, secretAccessKey: stack.s3.secretAccessKey },
});

/** One uploaded chunk as its object name describes it. */
export interface StoredChunk {
  key: string;
  name: string;
  seq: number;
  startMs: number;
  durationMs: number;
}

/** The chunks of one asset in S3, by seq. */
export async function storedChunks(tenant: string, session: string, asset: Asset): Promise<StoredChunk[]> {
  const prefix = rawPrefix(tenant, session, asset);
  const chunks: StoredChunk[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: stack.s3.bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) {
      const name = (object.Key ?? '').slice(prefix.length);
      const parsed = parseChunkName(name);
      if (!parsed) throw new Error(`not a chunk name: ${object.Key}`);
      chunks.push({ key: object.Key ?? '', name, ...parsed });
    }
    token = page.NextContinuationToken;
  } while (token);
  return chunks.sort((a, b) => a.seq - b.seq);
}

/** Downloads an object to a Buffer. */
export async function objectBytes(key: string): Promise<Buffer> {
  const object = await s3.send(new GetObjectCommand({ Bucket: stack.s3.bucket, Key: key }));
  return Buffer.from((await object.Body?.transformToByteArray()) ?? []);
}
