/**
 * The frame grid every segment of an asset is cut on. Chunks are encoded at a constant frame rate, so a
 * position on the session timeline is a whole frame number; doing the arithmetic in frames (not seconds)
 * makes segment lengths, playlist durations and placeholder lengths agree exactly.
 */

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
 * margin plus the MPEG-TS 33-bit PTS range at 90 kHz (26.5 h) leaves room for sessions up to 14 h.
 */
export const ORIGIN_MARGIN_MS = 12 * 3600 * 1000;

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
