/**
 * The benchmark's input: a real browser recording. Headless Chromium runs `scene.ts` (an exam's coding
 * page with typing, scrolling and idle stretches) and records its own tab through the recorder SDK's
 * `ChunkRecorder`, in real time. Cached under `.local/bench/transcode/recording-<hash>/`, keyed by the
 * options and the bundled page (so a change to the scene or to the recorder's capture records anew), with
 * `recording.json` written last; later runs reuse it.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { formatChunkName } from '../../contracts/storage.ts';
import { CHROMIUM_ARGS } from '../../test/support/chunks.ts';
import type { SceneChunk, SceneOptions } from './scene.ts';

const run = promisify(execFile);
export const CACHE = join(import.meta.dirname, '../../.local/bench/transcode');

export interface RecordingOptions {
  minutes: number;
  width: number;
  height: number;
  /** The recorder SDK's default chunk length (`recorder/index.ts`). */
  chunkMs: number;
  mimeType: string;
  seed: number;
}

/** One recorded chunk, named as the recorder names it on upload. */
export interface SessionChunk {
  seq: number;
  /** Start on the page's clock, Unix ms. */
  startMs: number;
  /** Wall-clock length, stop − start, ms. */
  durationMs: number;
  file: string;
}

export interface Recording {
  options: RecordingOptions;
  dir: string;
  chunks: SessionChunk[];
  /** The chunks joined into one file on their recorded timeline (see `joinChunks`). */
  joined: string;
  /** From the first chunk's start to the last one's end. */
  seconds: number;
  chromium: string;
}

/** The recording for `options`, from the cache or recorded now (taking `options.minutes` of real time). */
export async function benchRecording(options: RecordingOptions): Promise<Recording> {
  const bundle = await build({
    entryPoints: [join(import.meta.dirname, 'scene.ts')],
    bundle: true,
    format: 'iife',
    target: 'es2022',
    write: false,
    logLevel: 'warning',
  });
  const page = bundle.outputFiles[0]?.text ?? '';
  const key = createHash('sha256').update(JSON.stringify(options)).update(page).digest('hex').slice(0, 12);
  const dir = join(CACHE, `recording-${key}`);
  const index = join(dir, 'recording.json');
  if (existsSync(index)) return JSON.parse(await readFile(index, 'utf8')) as Recording;
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  console.error(
    `recording ${options.minutes} min of a ${options.width}×${options.height} page in Chromium into ${dir} (once, in real time)…`,
  );
  const { chunks, version } = await record(options, page, dir);
  const joined = await joinChunks(chunks, join(dir, 'joined.webm'));
  const last = chunks.at(-1);
  const first = chunks[0];
  if (!first || !last) throw new Error('the recording has no chunk');
  const recording: Recording = {
    options,
    dir,
    chunks,
    joined,
    seconds: (last.startMs + last.durationMs - first.startMs) / 1000,
    chromium: version,
  };
  await writeFile(index, JSON.stringify(recording, null, 1));
  return recording;
}

/** Serves the scene to Chromium, which records its own tab at the viewport's size. */
async function record(options: RecordingOptions, script: string, dir: string) {
  const server = createServer((_, response) => {
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end(`<!doctype html><html><head><script>${script}</script></head><body></body></html>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    // Tab capture without the picker: getDisplayMedia({ preferCurrentTab }) gets this tab at once.
    args: [...CHROMIUM_ARGS, '--auto-accept-this-tab-capture'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: options.width, height: options.height } });
    const chunks: SessionChunk[] = [];
    const total = Math.round((options.minutes * 60_000) / options.chunkMs);
    await page.exposeFunction('benchChunk', async (chunk: SceneChunk) => {
      const seq = chunks.length;
      const startMs = Math.round(chunk.startMs);
      const durationMs = Math.round(chunk.durationMs);
      const file = join(dir, formatChunkName({ seq, startMs, durationMs, ext: chunk.ext }));
      chunks.push({ seq, startMs, durationMs, file });
      await writeFile(file, Buffer.from(chunk.base64, 'base64'));
      if (seq % 12 === 11) console.error(`  recorded ${seq + 1} of about ${total} chunks`);
    });
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const scene: SceneOptions = {
      durationMs: options.minutes * 60_000,
      chunkMs: options.chunkMs,
      mimeType: options.mimeType,
      seed: options.seed,
    };
    const errors = await page.evaluate((o) => window.benchRecord(o), scene);
    if (errors.length > 0) throw new Error(`the recorder reported: ${errors.join('; ')}`);
    return { chunks, version: browser.version() };
  } finally {
    await browser.close();
    server.close();
  }
}

/**
 * The chunks as one file without re-encoding: the concat demuxer with each chunk lasting until the next
 * one starts (the last, its wall-clock length), so the file keeps the recording's timeline even where a
 * chunk's media ends early in an idle stretch.
 */
async function joinChunks(chunks: SessionChunk[], target: string): Promise<string> {
  const list = `${target}.txt`;
  await writeFile(
    list,
    chunks.map((c, i) => `file '${c.file}'\nduration ${slotMs(chunks, i) / 1000}\n`).join(''),
  );
  await run('ffmpeg', ['-v', 'error', '-f', 'concat', '-safe', '0', '-i', list, '-c', 'copy', '-y', target]);
  return target;
}

/** Chunk `i`'s slot on the timeline, ms: until the next chunk starts, the last one its wall-clock length. */
export function slotMs(chunks: SessionChunk[], i: number): number {
  const chunk = chunks[i];
  if (!chunk) throw new RangeError(`no chunk ${i}`);
  const next = chunks[i + 1];
  return next ? next.startMs - chunk.startMs : chunk.durationMs;
}
