import { describe, expect, it } from 'vitest';
import { WALL_CLOCK_TOLERANCE_MS, wallClockChange } from '../../contracts/clock-offset.ts';
import { chunkLength, GAP_CHUNK_LENGTHS, gapDeadline } from '../../worker/clock/gaps.ts';
import { offsetSeries, rttStats } from '../../worker/clock/stats.ts';

describe('wall-clock change', () => {
  it('is the signed change of wall_ms − t0 beyond 1 s, and nothing within it', () => {
    expect(wallClockChange(12, 12 + 3_600_000)).toBe(3_600_000);
    expect(wallClockChange(12, 12 - 3_600_000)).toBe(-3_600_000);
    expect(wallClockChange(12, 12 + WALL_CLOCK_TOLERANCE_MS)).toBeNull();
    expect(wallClockChange(12, 12 - WALL_CLOCK_TOLERANCE_MS - 1)).toBe(-1001);
    expect(wallClockChange(0, 0.4)).toBeNull();
  });
});

describe('recording gap deadline', () => {
  const chunk = { seq: 4, startMs: 10_000, durationMs: 5000 };

  it('takes the last chunk’s duration as the chunk length', () => {
    expect(chunkLength(chunk, 4000)).toBe(5000);
  });

  it('takes the interval since the previous still image when the chunk has no duration', () => {
    expect(chunkLength({ seq: 3, startMs: 30_000, durationMs: 0 }, 20_000)).toBe(10_000);
    expect(chunkLength({ seq: 0, startMs: 30_000, durationMs: 0 }, null)).toBeNull();
    expect(chunkLength({ seq: 3, startMs: 30_000, durationMs: 0 }, 30_000)).toBeNull();
  });

  it('is twice the chunk length after the chunk’s end, or after its notice when that came later', () => {
    expect(GAP_CHUNK_LENGTHS).toBe(2);
    expect(gapDeadline(chunk, 5000, 14_000)).toBe(15_000 + 10_000);
    expect(gapDeadline(chunk, 5000, 16_500)).toBe(16_500 + 10_000);
    expect(gapDeadline({ seq: 0, startMs: 1000, durationMs: 1000 }, 1000, 2000)).toBe(4000);
  });
});

describe('round-trip statistics', () => {
  it('gives min, median and p95 (interpolated) and nulls for no samples', () => {
    expect(rttStats([])).toEqual({ min_ms: null, median_ms: null, p95_ms: null });
    expect(rttStats([7])).toEqual({ min_ms: 7, median_ms: 7, p95_ms: 7 });
    expect(rttStats([40, 10, 30, 20])).toEqual({ min_ms: 10, median_ms: 25, p95_ms: 38.5 });
    const hundred = Array.from({ length: 101 }, (_, i) => 100 - i);
    expect(rttStats(hundred)).toEqual({ min_ms: 0, median_ms: 50, p95_ms: 95 });
  });
});

describe('offset series', () => {
  const sample = (atMs: number, offsetMs: number, rttMs: number) => ({ atMs, offsetMs, rttMs });

  it('keeps every sample, in time order, while they fit', () => {
    const samples = [sample(30, 1, 5), sample(10, 2, 5), sample(20, 3, 5)];
    expect(offsetSeries(samples, 3).map((s) => s.atMs)).toEqual([10, 20, 30]);
  });

  it('bounds a long session to maxPoints, each the shortest round trip of its stretch', () => {
    const samples = Array.from({ length: 1000 }, (_, i) => sample(i * 1000, 5000 + (i % 10), 10 + (i % 10)));
    const series = offsetSeries(samples, 100);
    expect(series).toHaveLength(100);
    expect(series.every((s) => s.rttMs === 10 && s.offsetMs === 5000)).toBe(true);
    expect(series.map((s) => s.atMs)).toEqual([...series.map((s) => s.atMs)].sort((a, b) => a - b));
  });
});
