import { describe, expect, it } from 'vitest';
import { SESSION_WINDOW } from '../../contracts/storage.ts';
import { dedupeChunks, slotChunks, type TimelineChunk } from '../../transcoder/timeline/chunks.ts';
import {
  assertTimestampable,
  type FrameGrid,
  ORIGIN_MARGIN_MS,
  originFor,
  PTS_RANGE_MS,
  SESSION_SPAN_MS,
  spanOf,
} from '../../transcoder/timeline/grid.ts';
import { planTimeline } from '../../transcoder/timeline/plan.ts';
import {
  chunkBounds,
  medianStartMs,
  splitByWindow,
  windowAnchorMs,
} from '../../transcoder/timeline/window.ts';

const T0 = 1_764_158_400_000;
const chunk = (seq: number, startMs: number, durationMs = 5000): TimelineChunk => ({
  key: `raw/${String(seq).padStart(6, '0')}-${startMs}-${durationMs}.webm`,
  seq,
  startMs,
  durationMs,
});

describe('session window', () => {
  it('anchors on the session start when the job carries it', () => {
    const started = new Date(T0).toISOString();
    expect(windowAnchorMs(started, [chunk(0, 0)])).toBe(T0);
  });

  it('anchors on the median start without it, which a few hostile names cannot move', () => {
    const honest = Array.from({ length: 9 }, (_, seq) => chunk(seq, T0 + seq * 5000));
    const hostile = [chunk(10, 0), chunk(11, 9_999_999_999_999), chunk(12, 9_999_999_999_000)];
    const anchor = windowAnchorMs(undefined, [...hostile, ...honest]);
    expect(anchor).toBe(T0 + 4 * 5000);
    expect(medianStartMs([])).toBeNull();
    const { inside, outside } = splitByWindow([...hostile, ...honest], anchor ?? 0);
    expect(inside).toEqual(honest);
    expect(outside).toEqual(hostile);
  });

  it('keeps a chunk only if it lies wholly inside the window', () => {
    const before = T0 - SESSION_WINDOW.beforeMs;
    const after = T0 + SESSION_WINDOW.afterMs;
    const { inside, outside } = splitByWindow(
      [chunk(0, before), chunk(1, before - 1), chunk(2, after - 5000), chunk(3, after - 4999)],
      T0,
    );
    expect(inside.map((c) => c.seq)).toEqual([0, 2]);
    expect(outside.map((c) => c.seq)).toEqual([1, 3]);
  });

  it('bounds and plans 200k chunks without a spread overflowing the stack', () => {
    const many = Array.from({ length: 200_000 }, (_, seq) => chunk(seq, T0 + seq * 50, 50));
    expect(chunkBounds(many)).toEqual({ startMs: T0, endMs: T0 + 200_000 * 50 });
    expect(chunkBounds([])).toBeNull();
    const grid: FrameGrid = { originMs: originFor(T0), fps: 20 };
    const { slotted } = slotChunks(grid, dedupeChunks(many).kept);
    const timeline = planTimeline({
      grid,
      chunks: slotted,
      startMs: T0,
      endMs: T0 + 10_000_000,
      gapThresholdMs: 500,
    });
    expect(timeline.span.frames).toBe(200_000);
  });
});

describe('timestamp range', () => {
  it('leaves room for a whole session window on either side of the chunk that fixed the origin', () => {
    expect(ORIGIN_MARGIN_MS).toBeGreaterThanOrEqual(SESSION_SPAN_MS);
    expect(ORIGIN_MARGIN_MS + SESSION_SPAN_MS).toBeLessThan(PTS_RANGE_MS);
    const grid: FrameGrid = { originMs: originFor(T0), fps: 10 };
    for (const startMs of [T0 - SESSION_SPAN_MS, T0 + SESSION_SPAN_MS - 60_000]) {
      expect(() => assertTimestampable(grid, spanOf(grid, startMs, 60_000), 10_000)).not.toThrow();
    }
  });

  it('refuses a span before the origin or past the MPEG-TS wrap', () => {
    const grid: FrameGrid = { originMs: originFor(T0), fps: 10 };
    expect(() => assertTimestampable(grid, spanOf(grid, grid.originMs - 1000, 5000), 0)).toThrow(
      /MPEG-TS timestamp range/,
    );
    const late = grid.originMs + PTS_RANGE_MS - 3000;
    expect(() => assertTimestampable(grid, spanOf(grid, late, 5000), 0)).toThrow(/MPEG-TS timestamp range/);
  });
});
