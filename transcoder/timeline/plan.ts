/**
 * Gap planning: turns an asset's decodable chunks into the segment list of its playlist, covering the
 * session timeline from its first frame to its last with no hole in the playlist's durations.
 *
 * - A gap longer than the threshold (a missing or undecodable chunk, a pause in uploads) becomes black
 *   placeholder segments of exactly its length, split into near-equal pieces of at most
 *   `PLACEHOLDER_PIECE_SEC`.
 * - A shorter gap (recorders restart 13–46 ms late between chunks) is absorbed by the previous segment's
 *   playlist duration: the segment's media stays its own length and the player holds its last frame
 *   until the next segment's timestamps begin. Re-encoding every chunk to close such gaps would make
 *   finalize as slow as a full transcode for no visible difference.
 * - Before the asset's first chunk (another asset started earlier) nothing can absorb a gap, so any
 *   gap there is a placeholder.
 */
import type { SlottedChunk, TimelineChunk } from './chunks.ts';
import { type FrameGrid, type FrameSpan, frameAt } from './grid.ts';

/** One segment of a playlist: `frames` of media, listed with `duration` frames (≥ `span.frames`). */
export type TimelineItem<T extends TimelineChunk = TimelineChunk> =
  | { kind: 'chunk'; chunk: SlottedChunk<T>; span: FrameSpan; duration: number }
  | { kind: 'placeholder'; span: FrameSpan; duration: number };

/**
 * A stretch of the timeline no chunk fills. `lead_in` is a placeholder too, but only the short wait
 * (under the gap threshold) before an asset's first chunk when another asset started first — a webcam
 * whose recorder started a few milliseconds after the screen's: nothing of the recording is missing.
 */
export interface TimelineGap {
  span: FrameSpan;
  filled: 'placeholder' | 'absorbed' | 'lead_in';
}

/** An asset's playlist on the session timeline. */
export interface Timeline<T extends TimelineChunk = TimelineChunk> {
  /** The whole timeline; the items' durations add up to `span.frames`. */
  span: FrameSpan;
  items: TimelineItem<T>[];
  gaps: TimelineGap[];
}

/** What to plan: the asset's grid and decodable chunks, and the session's bounds in server time. */
export interface TimelineInput<T extends TimelineChunk> {
  grid: FrameGrid;
  /** Decodable chunks in timeline order, slotted (see `slotChunks`); at least one. */
  chunks: readonly SlottedChunk<T>[];
  /** The session timeline: earliest chunk start to latest chunk end over every video asset. */
  startMs: number;
  endMs: number;
  gapThresholdMs: number;
}

/**
 * The longest placeholder segment. A fixed length, not one taken from the chunks: a gap's pieces then
 * depend on the gap alone, so a longer chunk arriving later cannot re-split a gap a live playlist already
 * lists, and a gap costs at most one encode per 6 s whatever the chunks are like.
 */
export const PLACEHOLDER_PIECE_SEC = 6;

/** Splits `frames` into the fewest near-equal pieces of at most `max` frames, longer pieces first. */
export function splitFrames(frames: number, max: number): number[] {
  const count = Math.ceil(frames / max);
  const base = Math.floor(frames / count);
  const longer = frames - base * count;
  return Array.from({ length: count }, (_, i) => base + (i < longer ? 1 : 0));
}

/** Plans an asset's playlist over the session timeline. */
export function planTimeline<T extends TimelineChunk>(input: TimelineInput<T>): Timeline<T> {
  const { grid, chunks } = input;
  const head = chunks[0];
  if (!head) throw new RangeError('a timeline needs at least one decodable chunk');
  const start = Math.min(frameAt(grid, input.startMs), head.span.start);
  // A loop, not a spread: a spread of 100k+ chunks overflows the call stack.
  let last = frameAt(grid, input.endMs);
  for (const c of chunks) last = Math.max(last, c.span.start + c.span.frames);
  const maxPiece = PLACEHOLDER_PIECE_SEC * grid.fps;
  const thresholdFrames = (input.gapThresholdMs * grid.fps) / 1000;

  const items: TimelineItem<T>[] = [];
  const gaps: TimelineGap[] = [];
  let cursor = start;

  const fill = (until: number) => {
    const frames = until - cursor;
    if (frames <= 0) return;
    const previous = items.at(-1);
    if (previous && frames <= thresholdFrames) {
      previous.duration += frames;
      gaps.push({ span: { start: cursor, frames }, filled: 'absorbed' });
    } else {
      const leadIn = !previous && frames <= thresholdFrames;
      gaps.push({ span: { start: cursor, frames }, filled: leadIn ? 'lead_in' : 'placeholder' });
      for (const piece of splitFrames(frames, maxPiece)) {
        items.push({ kind: 'placeholder', span: { start: cursor, frames: piece }, duration: piece });
        cursor += piece;
      }
    }
    cursor = until;
  };

  for (const chunk of chunks) {
    fill(chunk.span.start);
    items.push({ kind: 'chunk', chunk, span: chunk.span, duration: chunk.span.frames });
    cursor = chunk.span.start + chunk.span.frames;
  }
  fill(last);
  return { span: { start, frames: cursor - start }, items, gaps };
}
