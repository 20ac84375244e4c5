/**
 * Which chunks belong to a session by time: those inside its window (`SESSION_WINDOW`, contracts/storage.ts).
 * The browser names chunks freely, so a name far from the session would otherwise stretch the timeline,
 * and the black over its gap, without bound. Pure; every scan is a loop, since a listing can hold 100k+
 * chunks and spreading that many arguments overflows the call stack.
 */
import { chunkInSessionWindow } from '../../contracts/storage.ts';
import type { TimelineChunk } from './chunks.ts';

type Timed = Pick<TimelineChunk, 'startMs' | 'durationMs'>;

/** Earliest start and latest end of the chunks; `null` when there are none. */
export function chunkBounds(chunks: readonly Timed[]): { startMs: number; endMs: number } | null {
  let startMs = Number.POSITIVE_INFINITY;
  let endMs = Number.NEGATIVE_INFINITY;
  for (const chunk of chunks) {
    if (chunk.startMs < startMs) startMs = chunk.startMs;
    if (chunk.startMs + chunk.durationMs > endMs) endMs = chunk.startMs + chunk.durationMs;
  }
  return chunks.length === 0 ? null : { startMs, endMs };
}

/** The median start of the chunks (the lower middle one of an even count); `null` when there are none. */
export function medianStartMs(chunks: readonly Timed[]): number | null {
  const starts = Float64Array.from(chunks, (chunk) => chunk.startMs).sort();
  return starts.length === 0 ? null : (starts[(starts.length - 1) >> 1] ?? null);
}

/**
 * Where the session's window is anchored: its creation time when the job carries it (the Worker always
 * sends it); otherwise (an operator's job) the median start of the listed chunks, which a few hostile
 * names cannot move. `null` when there is neither.
 */
export function windowAnchorMs(
  sessionStartedAt: string | undefined,
  chunks: readonly Timed[],
): number | null {
  return sessionStartedAt === undefined ? medianStartMs(chunks) : Date.parse(sessionStartedAt);
}

/** The chunks inside the window anchored at `anchorMs`, and those outside it, each in listing order. */
export function splitByWindow<T extends Timed>(
  chunks: readonly T[],
  anchorMs: number,
): { inside: T[]; outside: T[] } {
  const inside: T[] = [];
  const outside: T[] = [];
  for (const chunk of chunks) (chunkInSessionWindow(chunk, anchorMs) ? inside : outside).push(chunk);
  return { inside, outside };
}
