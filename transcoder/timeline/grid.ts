/**
 * The frame grid every segment of an asset is cut on. Chunks are encoded at a constant frame rate, so a
 * position on the session timeline is a whole frame number; doing the arithmetic in frames (not seconds)
 * makes segment lengths, playlist durations and placeholder lengths agree exactly.
 */
import { SESSION_WINDOW } from '../../contracts/storage.ts';

/** An asset's grid: frame 0 is at `originMs` (server time), frames are `1000 / fps` ms apart. */
export interface FrameGrid {
  readonly originMs: number;
  readonly fps: number;
}

/** A run of whole frames on a grid. */
export interface FrameSpan {
  start: number;
  frames: number;
}

/**
 * How far before the first chunk seen the origin is put. A chunk job cannot know the session's earliest
 * chunk (chunks arrive out of order), so segment timestamps count from a fixed origin recorded once per
 * asset; this margin keeps every earlier chunk of the same session at a positive timestamp. 12 h of
 * margin plus the MPEG-TS 33-bit PTS range at 90 kHz (26.5 h) leaves room for sessions up to 14 h; jobs
 * drop chunks outside the session's window (`SESSION_WINDOW`, ~4 h 5 min), so a session never comes near.
 */
export const ORIGIN_MARGIN_MS = 12 * 3600 * 1000;

/** MPEG-TS timestamps count a 90 kHz clock in 33 bits (ISO/IEC 13818-1, 2.4.3.7): they wrap after this. */
export const PTS_RANGE_MS = Math.floor(2 ** 33 / 90);

/** The longest stretch a session's chunks can cover: its whole time window. */
export const SESSION_SPAN_MS = SESSION_WINDOW.beforeMs + SESSION_WINDOW.afterMs;

// Whichever in-window chunk fixes the origin, every other one lands after it and before the wrap.
if (ORIGIN_MARGIN_MS < SESSION_SPAN_MS || ORIGIN_MARGIN_MS + SESSION_SPAN_MS >= PTS_RANGE_MS) {
  throw new Error('ORIGIN_MARGIN_MS no longer fits the session window inside the MPEG-TS timestamp range');
}

/**
 * The origin for an asset whose first processed chunk starts at `firstStartMs`: the margin before it,
 * floored to a whole second. With a whole-second origin and an integer fps, frame numbers differ from
 * the origin-free `frameAt({originMs: 0, fps}, ms)` by a constant, so frame counts, and therefore
 * every playlist duration, do not depend on which chunk happened to be processed first.
 */
export function originFor(firstStartMs: number): number {
  return Math.floor((firstStartMs - ORIGIN_MARGIN_MS) / 1000) * 1000;
}

/** The frame a server time falls on (nearest frame boundary). */
export function frameAt(grid: FrameGrid, ms: number): number {
  return Math.round(((ms - grid.originMs) * grid.fps) / 1000);
}

/** The server time of a frame boundary, in (possibly fractional) milliseconds. */
export function msAt(grid: FrameGrid, frame: number): number {
  return grid.originMs + (frame * 1000) / grid.fps;
}

/** The span a chunk covers by its object name: from its start to its wall-clock end. */
export function spanOf(grid: FrameGrid, startMs: number, durationMs: number): FrameSpan {
  const start = frameAt(grid, startMs);
  return { start, frames: frameAt(grid, startMs + durationMs) - start };
}

/** Seconds of a frame count, rounded to the microsecond so playlists carry no float noise. */
export function secondsOf(grid: FrameGrid, frames: number): number {
  return Math.round((frames / grid.fps) * 1e6) / 1e6;
}

/**
 * Throws unless `span` lies after the grid's origin and ends, `headroomMs` later, before MPEG-TS
 * timestamps wrap. Session windows make this hold; a span breaking it is a bug, not bad input, and
 * encoding it would write timestamps that jump backwards.
 */
export function assertTimestampable(grid: FrameGrid, span: FrameSpan, headroomMs: number): void {
  const endMs = msAt(grid, span.start + span.frames) - grid.originMs + headroomMs;
  if (span.start < 0 || endMs > PTS_RANGE_MS) {
    throw new Error(
      `frames ${span.start}+${span.frames} at ${grid.fps} fps fall outside the MPEG-TS timestamp range of origin ${grid.originMs}`,
    );
  }
}
