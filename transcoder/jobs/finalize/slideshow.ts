/**
 * Finalize for a session of the previous recorder, which uploaded only screenshots: a timed slideshow,
 * `screenshots/processed/stitched_video/recording.mp4`, played back as `fullvideo`.
 *
 * The timeline runs from the earliest screenshot to the latest plus a last hold: the median interval
 * between screenshots (at least 1 s, at most 60 s), or 10 s (the recorder's default interval) for a lone
 * screenshot. Each screenshot is shown from its `start_ms` until the next one's; one that does not decode
 * is black over its stretch. Nothing comes before the first: the slideshow starts with it. Frames are on
 * a 10 fps grid, so every change lands within 100 ms of its time and the MP4 lasts its timeline within a
 * frame; pictures are fitted into 1280 × 720 on black, the top rendition of recordings.
 */
import { join } from 'node:path';
import type { FinalizeJob } from '../../../contracts/jobs.ts';
import type { RawChunk } from '../../../contracts/storage.ts';
import { describeError } from '../../log.ts';
import { blackImage, encodeSlideshow, isInputFailure, normalizeImage } from '../../media/index.ts';
import { mapLimit } from '../../parallel.ts';
import { withWorkDir } from '../../processing/files.ts';
import { assetKeys, sessionOf } from '../../storage/layout.ts';
import { storedChunk } from '../../storage/records.ts';
import { dedupeChunks } from '../../timeline/chunks.ts';
import { type JobContext, RecordingError } from '../context.ts';
import { reportReady } from './outcome.ts';

export const SLIDESHOW_FPS = 10;
export const SLIDESHOW_SIZE = { width: 1280, height: 720 };
/** The last screenshot's hold when there is no interval to take the median of. */
export const LONE_HOLD_MS = 10_000;
const HOLD_RANGE_MS = [1000, 60_000] as const;

/** How long the last screenshot is shown: the median interval between them, bounded. Pure. */
export function lastHoldMs(startsMs: readonly number[]): number {
  const intervals = startsMs
    .slice(1)
    .map((start, i) => start - (startsMs[i] ?? start))
    .sort((a, b) => a - b);
  if (intervals.length === 0) return LONE_HOLD_MS;
  const middle = intervals.length / 2;
  const median = Number.isInteger(middle)
    ? ((intervals[middle - 1] ?? 0) + (intervals[middle] ?? 0)) / 2
    : (intervals[Math.floor(middle)] ?? 0);
  return Math.min(HOLD_RANGE_MS[1], Math.max(HOLD_RANGE_MS[0], median));
}

/**
 * Each screenshot's frames on the grid, for screenshots in time order; one whose stretch rounds to no
 * frame is left out. Pure.
 */
export function planSlideshow<T extends { startMs: number }>(images: readonly T[], fps = SLIDESHOW_FPS) {
  const first = images[0];
  if (!first) throw new RangeError('a slideshow needs a screenshot');
  const starts = images.map((image) => image.startMs);
  const endMs = (starts.at(-1) ?? first.startMs) + lastHoldMs(starts);
  const frameAt = (ms: number) => Math.round(((ms - first.startMs) * fps) / 1000);
  const slides = images
    .map((image, i) => ({ image, frames: frameAt(images[i + 1]?.startMs ?? endMs) - frameAt(image.startMs) }))
    .filter((slide) => slide.frames > 0);
  return { startMs: first.startMs, endMs, frames: frameAt(endMs), slides };
}

/** Packages the session's screenshots as a slideshow and reports it ready. */
export async function finalizeSlideshow(
  ctx: JobContext,
  job: FinalizeJob,
  screenshots: { inside: RawChunk[]; outside: RawChunk[] },
): Promise<void> {
  const { kept } = dedupeChunks(screenshots.inside);
  if (kept.length === 0) {
    throw new RecordingError(
      'no_video_in_window',
      'the session has no video chunk and no screenshot inside its time window',
    );
  }
  const plan = planSlideshow([...kept].sort((a, b) => a.startMs - b.startMs));
  const keys = assetKeys({ ...sessionOf(job), asset: 'screenshots' });
  const undecodable = new Map<string, string>();
  await withWorkDir(ctx, async (dir) => {
    const black = join(dir, 'black.png');
    await blackImage(ctx.media, { target: black, size: SLIDESHOW_SIZE, signal: ctx.signal });
    const slides = await mapLimit(
      plan.slides,
      ctx.settings.mediaSlots + 1,
      async ({ image, frames }, i, signal) => {
        const source = join(dir, `upload-${i}.${image.ext}`);
        const target = join(dir, `slide-${i}.png`);
        await ctx.storage.download(image.key, source, signal);
        try {
          await normalizeImage(ctx.media, { source, target, size: SLIDESHOW_SIZE, signal });
          return { file: target, frames };
        } catch (error) {
          if (!isInputFailure(error)) throw error;
          undecodable.set(image.key, describeError(error).slice(0, 300));
          return { file: black, frames };
        }
      },
      ctx.signal,
    );
    if (undecodable.size === plan.slides.length) {
      throw new RecordingError('undecodable', 'no screenshot of the session decodes');
    }
    const output = join(dir, 'recording.mp4');
    await encodeSlideshow(ctx.media, {
      slides,
      fps: SLIDESHOW_FPS,
      list: join(dir, 'slides.ffconcat'),
      output,
      signal: ctx.signal,
    });
    await ctx.storage.upload(keys.stitched, output, ctx.signal);
  });

  const shown = new Set(plan.slides.map((slide) => slide.image.key));
  const playback = { type: 'fullvideo', key: keys.stitched } as const;
  const durationMs = (plan.frames * 1000) / SLIDESHOW_FPS;
  await ctx.storage.putJson(keys.manifest, {
    version: 1,
    tenant_uuid: job.tenant_uuid,
    session_uuid: job.session_uuid,
    kind: 'slideshow',
    timeline: { start_ms: plan.startMs, end_ms: plan.endMs, duration_ms: durationMs, fps: SLIDESHOW_FPS },
    playback,
    screenshots: [...screenshots.inside]
      .sort((a, b) => a.startMs - b.startMs || a.seq - b.seq)
      .map((image) => ({
        ...storedChunk(image),
        status: undecodable.has(image.key) ? 'undecodable' : shown.has(image.key) ? 'shown' : 'not_shown',
        ...(undecodable.has(image.key) ? { reason: undecodable.get(image.key) } : {}),
      })),
    out_of_window: screenshots.outside.map((image) => image.key).sort(),
  });
  await reportReady(ctx, job, { playback, durationMs, manifestKey: keys.manifest });
  ctx.log.info('slideshow ready', { durationMs, screenshots: kept.length, undecodable: undecodable.size });
}
