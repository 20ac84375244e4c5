/**
 * The live (EVENT) playlist of an asset while it records. An EVENT playlist may only grow, so a chunk is
 * listed only once nothing before it can still change:
 * - chunks are released in seq order; a missing seq holds every later chunk until it arrives, or until
 *   the hold timeout has passed since the first later chunk arrived (then it is a gap for good, even if
 *   it turns up afterwards: the finalized VOD playlists include it);
 * - the newest released chunk is kept back, because its playlist duration absorbs the small gap to the
 *   next chunk, which is not known yet.
 * Everything is a function of the processed chunks, their arrival times and `now`, so concurrent chunk
 * jobs compute the same playlist and a later computation only appends to an earlier one.
 */
import { byTimeline, dedupeChunks, slotChunks, type TimelineChunk } from './chunks.ts';
import type { FrameGrid } from './grid.ts';
import { planTimeline, type TimelineItem } from './plan.ts';

/** A processed chunk, as the chunk index lists it. */
export type LiveChunk<T extends TimelineChunk = TimelineChunk> = T & {
  decodable: boolean;
  /** When its processing finished (the index entry's write time), Unix ms. */
  arrivedAtMs: number;
};

/** The chunks the live playlist may build on at `nowMs`, in seq order. */
export function releaseForLive<T extends LiveChunk>(
  chunks: readonly T[],
  nowMs: number,
  holdMs: number,
): T[] {
  const present = dedupeChunks(chunks).kept.sort((a, b) => a.seq - b.seq);
  // For each position, the earliest arrival among the chunks after it: a hole there holds from then on.
  const laterArrival: number[] = new Array(present.length);
  let earliest = Number.POSITIVE_INFINITY;
  for (let i = present.length - 1; i >= 0; i--) {
    laterArrival[i] = earliest;
    earliest = Math.min(earliest, present[i]?.arrivedAtMs ?? earliest);
  }
  const released: T[] = [];
  let expected = 0;
  for (const [i, chunk] of present.entries()) {
    const later = laterArrival[i] ?? Number.POSITIVE_INFINITY;
    // It came after its own hole had been given up: later chunks may already be listed past it.
    if (chunk.arrivedAtMs >= later + holdMs) {
      expected = chunk.seq + 1;
      continue;
    }
    // Seqs before it are missing: wait for them until the hold has run out.
    if (chunk.seq > expected && nowMs < Math.min(chunk.arrivedAtMs, later) + holdMs) break;
    released.push(chunk);
    expected = chunk.seq + 1;
  }
  return released;
}

/**
 * The items of the live playlist for the released chunks: the VOD plan of what is released, without the
 * newest decodable chunk (and anything after it), whose listed duration may still grow.
 */
export function planLive<T extends LiveChunk>(
  grid: FrameGrid,
  released: readonly T[],
  gapThresholdMs: number,
): TimelineItem<T>[] {
  const ordered = [...released].sort(byTimeline);
  const decodable = ordered.filter((chunk) => chunk.decodable);
  const newest = decodable.at(-1);
  const first = ordered[0];
  if (!newest || !first) return [];
  const timeline = planTimeline({
    grid,
    chunks: slotChunks(grid, decodable).slotted,
    startMs: first.startMs,
    endMs: newest.startMs + newest.durationMs,
    gapThresholdMs,
  });
  return timeline.items.slice(0, -1);
}
