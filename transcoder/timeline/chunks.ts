/**
 * Which chunks of an asset make its timeline, in what order, and which frames each one fills.
 * Pure: it works on what chunk object names say (`<seq>-<start_ms>-<duration_ms>`), never on media.
 */
import type { RawChunk } from '../../contracts/storage.ts';
import { type FrameGrid, type FrameSpan, spanOf } from './grid.ts';

/** What of a chunk the timeline reads: its key (unique per upload) and what its object name says of time. */
export type TimelineChunk = Pick<RawChunk, 'key' | 'seq' | 'startMs' | 'durationMs'>;

/** A chunk left off the timeline because another chunk already stands for it. */
export interface Duplicate {
  key: string;
  duplicateOf: string;
  reason: 'same seq' | 'same start';
}

/** Timeline order: server-time start, then seq, then key, so equal inputs always give equal output. */
export function byTimeline(a: TimelineChunk, b: TimelineChunk): number {
  return a.startMs - b.startMs || a.seq - b.seq || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

/**
 * Orders chunks by server-time start and drops duplicates: a second upload with the same seq (the
 * earliest start is kept), or a different seq with the same start (the lower seq is kept).
 */
export function dedupeChunks<T extends TimelineChunk>(
  chunks: readonly T[],
): { kept: T[]; duplicates: Duplicate[] } {
  const bySeq = new Map<number, T>();
  const byStart = new Map<number, T>();
  const kept: T[] = [];
  const duplicates: Duplicate[] = [];
  for (const chunk of [...chunks].sort(byTimeline)) {
    const sameSeq = bySeq.get(chunk.seq);
    const sameStart = byStart.get(chunk.startMs);
    if (sameSeq) {
      duplicates.push({ key: chunk.key, duplicateOf: sameSeq.key, reason: 'same seq' });
    } else if (sameStart) {
      duplicates.push({ key: chunk.key, duplicateOf: sameStart.key, reason: 'same start' });
    } else {
      bySeq.set(chunk.seq, chunk);
      byStart.set(chunk.startMs, chunk);
      kept.push(chunk);
    }
  }
  return { kept, duplicates };
}

/** A chunk with the frames it fills on the timeline. */
export type SlottedChunk<T extends TimelineChunk = TimelineChunk> = T & {
  /** The frames its name claims: start to wall-clock end. What a chunk job encodes. */
  natural: FrameSpan;
  /** The frames it fills here: `natural`, or shorter when the next chunk starts before it ends. */
  span: FrameSpan;
};

/** A chunk that fills no frame: shorter than half a frame, or entirely overlapped by the next one. */
export interface Dropped {
  key: string;
  reason: 'empty' | 'overlapped';
}

/**
 * Gives each chunk its frames. Overlapping chunks (next start before this end, e.g. after a clock-sync
 * correction) are resolved in favour of the later one: the earlier chunk is cut at the next start, so
 * it must be re-encoded with the shorter span.
 * @param chunks decodable chunks in timeline order (as `dedupeChunks` returns them)
 */
export function slotChunks<T extends TimelineChunk>(
  grid: FrameGrid,
  chunks: readonly T[],
): { slotted: SlottedChunk<T>[]; dropped: Dropped[] } {
  const slotted: SlottedChunk<T>[] = [];
  const dropped: Dropped[] = [];
  // Empty chunks go first so that they never cut the chunk before them.
  const filled = chunks
    .map((chunk) => ({ chunk, natural: spanOf(grid, chunk.startMs, chunk.durationMs) }))
    .filter(({ chunk, natural }) => {
      if (natural.frames > 0) return true;
      dropped.push({ key: chunk.key, reason: 'empty' });
      return false;
    });
  filled.forEach(({ chunk, natural }, i) => {
    const next = filled[i + 1];
    const end = Math.min(
      natural.start + natural.frames,
      next ? next.natural.start : Number.POSITIVE_INFINITY,
    );
    const frames = end - natural.start;
    if (frames > 0) {
      slotted.push({ ...chunk, natural, span: { start: natural.start, frames } });
    } else {
      dropped.push({ key: chunk.key, reason: 'overlapped' });
    }
  });
  return { slotted, dropped };
}

/** Whether a chunk fills fewer frames than it was encoded with, so its segment must be re-encoded. */
export function isCut(chunk: SlottedChunk): boolean {
  return chunk.span.frames !== chunk.natural.frames;
}

/**
 * How long past its media's end a chunk may still fill its slot (holding its last picture). MediaRecorder
 * ends a chunk at its last frame, seconds before its wall-clock end when the screen is idle, so a slot
 * may rightly outlast the media; but not by more than this, or a tiny upload named 60 s long would buy a
 * minute of encoding. The rest of such a slot is a gap.
 */
export const MEDIA_SLACK_MS = 10_000;

/** The length of a chunk's slot: its name's duration, at most its media's length plus `MEDIA_SLACK_MS`. */
export function chunkSlotMs(nameDurationMs: number, mediaSec: number): number {
  return Math.min(nameDurationMs, Math.ceil(mediaSec * 1000) + MEDIA_SLACK_MS);
}
