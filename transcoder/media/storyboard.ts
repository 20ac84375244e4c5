/**
 * The player's seek-bar previews: sprite sheets of small tiles plus a WebVTT file whose cues point at a
 * tile with a media fragment (`sheet_0.jpg#xywh=x,y,w,h`, W3C Media Fragments URI 1.0 §4.2.1), the form
 * hls.js-based players and Video.js thumbnail plugins read.
 */
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { imagesOutput, THUMBNAIL_QUALITY } from './encoder.ts';
import { scaleTo } from './filters.ts';
import { COMMON_GLOBAL, type FfmpegJob } from './job.ts';
import { firstVideoArgs } from './probe.ts';
import { fitWidth, type Resolution } from './renditions.ts';
import { type MediaRunner, runTimeoutMs } from './runner.ts';

/** Tiles are at least this far apart: one every 2 s is as fine as a seek bar can show. */
export const STORYBOARD_MIN_INTERVAL_SEC = 2;
/** At most this many tiles, whatever the length: a 3-hour session gets one every 18 s. */
export const STORYBOARD_MAX_TILES = 600;
export const STORYBOARD_TILE_WIDTH = 160;
/** Tiles per sheet side: 10 × 10 tiles of 160 × 90 make a 1600 × 900 sheet. */
const SHEET_SIDE = 10;
/**
 * From this interval on, only keyframes are decoded. Every segment starts with one and chunks are about
 * 5 s long, so a keyframe is never further than a tile away; it decodes about five times faster
 * (bench/RESULTS.md, "Encoder and pipeline settings"), which matters for multi-hour sessions.
 */
const KEYFRAMES_ONLY_FROM_SEC = 5;

export interface StoryboardLayout {
  intervalSec: number;
  tileCount: number;
  tile: Resolution;
  columns: number;
  rows: number;
  sheetCount: number;
}

/** How a session of `durationSec` is laid out in tiles and sheets. Pure. */
export function storyboardLayout(durationSec: number, source: Resolution): StoryboardLayout {
  if (!(Number.isFinite(durationSec) && durationSec > 0)) {
    throw new RangeError(`a storyboard needs a positive duration, got ${durationSec}`);
  }
  const intervalSec = Math.max(
    STORYBOARD_MIN_INTERVAL_SEC,
    Math.ceil(durationSec / STORYBOARD_MAX_TILES - 1e-9),
  );
  const tileCount = Math.max(1, Math.ceil(durationSec / intervalSec - 1e-9));
  const columns = Math.min(SHEET_SIDE, tileCount);
  const rows = Math.min(SHEET_SIDE, Math.ceil(tileCount / columns));
  return {
    intervalSec,
    tileCount,
    tile: fitWidth(STORYBOARD_TILE_WIDTH, source),
    columns,
    rows,
    sheetCount: Math.ceil(tileCount / (columns * rows)),
  };
}

/** `sheet_<n>.jpg`, n from 0: the names the sheets are written under and the VTT refers to. */
export function sheetName(index: number): string {
  return `sheet_${index}.jpg`;
}

function vttTime(seconds: number): string {
  const ms = Math.round(seconds * 1000);
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor(ms / 60_000) % 60;
  const s = Math.floor(ms / 1000) % 60;
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(h)}:${pad(m)}:${pad(s)}.${pad(ms % 1000, 3)}`;
}

/** The WebVTT text: one cue per tile, back to back from 0 to `durationSec`. Pure. */
export function storyboardVtt(layout: StoryboardLayout, durationSec: number): string {
  const perSheet = layout.columns * layout.rows;
  const { width, height } = layout.tile;
  const cues = Array.from({ length: layout.tileCount }, (_, i) => {
    const start = i * layout.intervalSec;
    const end = Math.min(durationSec, start + layout.intervalSec);
    const x = (i % layout.columns) * width;
    const y = Math.floor((i % perSheet) / layout.columns) * height;
    return `${vttTime(start)} --> ${vttTime(end)}\n${sheetName(Math.floor(i / perSheet))}#xywh=${x},${y},${width},${height}`;
  });
  return `WEBVTT\n\n${cues.join('\n\n')}\n`;
}

export interface StoryboardPlan {
  source: string;
  /** The source's picture size; tiles keep its aspect ratio. */
  sourceSize: Resolution;
  /** Seconds of timeline per tile. */
  intervalSec: number;
  tileCount: number;
  tile: Resolution;
  columns: number;
  rows: number;
  /** image2 pattern of the sheets, numbered from 0. */
  pattern: string;
  /** Decode keyframes only: for long sessions, where tiles are further apart than keyframes. */
  keyframesOnly: boolean;
}

/**
 * Sprite sheets: one picture per interval (the fps filter's nearest rounding picks the one showing in the
 * middle of the interval, a fair summary of it), the last picture held
 * for as long as needed (`stop=-1`; with keyframes only it may be a chunk before the end), cut at the
 * tile count, laid out `columns × rows` per sheet; the last sheet may be partly empty.
 */
export function storyboardJob(plan: StoryboardPlan): FfmpegJob {
  const graph =
    `[0:v:0]tpad=stop_mode=clone:stop=-1,fps=1/${plan.intervalSec}:start_time=0,` +
    `trim=end_frame=${plan.tileCount},${scaleTo(plan.sourceSize, plan.tile)},tile=${plan.columns}x${plan.rows}[sheets]`;
  return {
    global: [...COMMON_GLOBAL, '-filter_complex', graph],
    inputs: [{ options: plan.keyframesOnly ? ['-skip_frame', 'nokey'] : [], source: plan.source }],
    outputs: [imagesOutput('sheets', THUMBNAIL_QUALITY, plan.pattern)],
  };
}

const SourceProbe = z.object({
  streams: z.array(z.object({ width: z.number(), height: z.number() })).min(1),
});

/** The picture size of a local playlist or media file. */
async function videoSize(media: MediaRunner, source: string, signal?: AbortSignal): Promise<Resolution> {
  const run = await media.ffprobe(firstVideoArgs('stream=width,height', 'json', source), {
    signal,
    timeoutMs: 60_000,
  });
  const parsed = SourceProbe.safeParse(JSON.parse(run.stdout || '{}'));
  const stream = parsed.success ? parsed.data.streams[0] : undefined;
  if (run.exitCode !== 0 || !stream) {
    throw new Error(`cannot read the picture size of ${source}: ${run.stderr.trim() || 'no video stream'}`);
  }
  return stream;
}

/**
 * Sprite sheets and `storyboard.vtt` for a session, into `outDir`. `source` is a local VOD playlist (the
 * smallest rendition is plenty) or a media file; its first frame is taken as time 0 of the session. A run
 * that fails leaves no sheet behind.
 */
export async function buildStoryboard(
  media: MediaRunner,
  o: { source: string; durationSec: number; outDir: string; signal?: AbortSignal },
): Promise<{ vtt: string; sheets: string[] }> {
  const sourceSize = await videoSize(media, o.source, o.signal);
  const layout = storyboardLayout(o.durationSec, sourceSize);
  await mkdir(o.outDir, { recursive: true });
  const sheets = Array.from({ length: layout.sheetCount }, (_, i) => join(o.outDir, sheetName(i)));
  try {
    await media.ffmpeg(
      storyboardJob({
        source: o.source,
        sourceSize,
        intervalSec: layout.intervalSec,
        tileCount: layout.tileCount,
        tile: layout.tile,
        columns: layout.columns,
        rows: layout.rows,
        pattern: join(o.outDir, 'sheet_%d.jpg'),
        keyframesOnly: layout.intervalSec >= KEYFRAMES_ONLY_FROM_SEC,
      }),
      // Decodes the smallest rendition (or only its keyframes): far faster than realtime.
      { signal: o.signal, timeoutMs: runTimeoutMs(o.durationSec, 1000) },
    );
    const written = new Set(await readdir(o.outDir));
    const missing = sheets.find((sheet) => !written.has(basename(sheet)));
    if (missing) throw new Error(`storyboard sheet ${basename(missing)} was not written`);
  } catch (error) {
    await Promise.all(sheets.map((sheet) => rm(sheet, { force: true })));
    throw error;
  }
  const vtt = join(o.outDir, 'storyboard.vtt');
  await writeFile(vtt, storyboardVtt(layout, o.durationSec));
  return { vtt, sheets };
}
