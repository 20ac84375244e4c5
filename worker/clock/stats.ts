/**
 * What a session's clock report says about its samples: round-trip statistics and the offset over time.
 * Pure, so it is tested without a Durable Object.
 */
import type { ClockSample } from '../../contracts/clock-offset.ts';

/** Points of the offset series at most: enough to draw three hours at a point every 90 s. */
export const SERIES_POINTS = 120;

/** The q-quantile (0..1) of ascending values, interpolated between the two nearest ranks. */
function quantile(sorted: readonly number[], q: number): number {
  const position = (sorted.length - 1) * q;
  const below = sorted[Math.floor(position)] ?? Number.NaN;
  const above = sorted[Math.ceil(position)] ?? Number.NaN;
  return below + (above - below) * (position - Math.floor(position));
}

/** Minimum, median and 95th percentile of the round trips; nulls when there are none. */
export function rttStats(rtts: readonly number[]): {
  min_ms: number | null;
  median_ms: number | null;
  p95_ms: number | null;
} {
  if (rtts.length === 0) return { min_ms: null, median_ms: null, p95_ms: null };
  const sorted = [...rtts].sort((a, b) => a - b);
  return { min_ms: sorted[0] ?? null, median_ms: quantile(sorted, 0.5), p95_ms: quantile(sorted, 0.95) };
}

/**
 * The offset over time in at most `maxPoints` points: the session's span cut into equal stretches, each
 * represented by its sample with the shortest round trip (the one whose offset is best bounded).
 */
export function offsetSeries(samples: readonly ClockSample[], maxPoints = SERIES_POINTS): ClockSample[] {
  const ordered = [...samples].sort((a, b) => a.atMs - b.atMs);
  if (ordered.length <= maxPoints) return ordered;
  const first = ordered[0]?.atMs ?? 0;
  const span = (ordered.at(-1)?.atMs ?? first) - first;
  const buckets = new Map<number, ClockSample>();
  for (const sample of ordered) {
    const bucket = Math.min(maxPoints - 1, Math.floor(((sample.atMs - first) / span) * maxPoints));
    const kept = buckets.get(bucket);
    if (!kept || sample.rttMs < kept.rttMs) buckets.set(bucket, sample);
  }
  return [...buckets.values()].sort((a, b) => a.atMs - b.atMs);
}
