import { describe, expect, it } from 'vitest';
import { dedupeChunks, isCut, slotChunks, type TimelineChunk } from '../../transcoder/timeline/chunks.ts';
import {
  type FrameGrid,
  frameAt,
  msAt,
  ORIGIN_MARGIN_MS,
  originFor,
  spanOf,
} from '../../transcoder/timeline/grid.ts';
import { planTimeline, splitFrames, type TimelineItem } from '../../transcoder/timeline/plan.ts';

const T0 = 1_764_158_400_000;
const chunk = (seq: number, startOffsetMs: number, durationMs: number): TimelineChunk => ({
  key: `raw/${String(seq).padStart(6, '0')}-${T0 + startOffsetMs}-${durationMs}.webm`,
  seq,
  startMs: T0 + startOffsetMs,
  durationMs,
});

const grid: FrameGrid = { originMs: originFor(T0), fps: 10 };
const sum = (items: TimelineItem[]) => items.reduce((total, item) => total + item.duration, 0);

function plan(
  chunks: TimelineChunk[],
  options: { startMs?: number; endMs?: number; gapThresholdMs?: number } = {},
) {
  const { slotted } = slotChunks(grid, dedupeChunks(chunks).kept);
  const last = chunks.reduce((end, c) => Math.max(end, c.startMs + c.durationMs), 0);
  return planTimeline({
    grid,
    chunks: slotted,
    startMs: options.startMs ?? Math.min(...chunks.map((c) => c.startMs)),
    endMs: options.endMs ?? last,
    gapThresholdMs: options.gapThresholdMs ?? 500,
  });
}

describe('frame grid', () => {
  it('puts the origin a whole second, 12 h before the first chunk seen', () => {
    const origin = originFor(T0 + 123);
    expect(origin % 1000).toBe(0);
    expect(T0 + 123 - origin).toBeGreaterThanOrEqual(ORIGIN_MARGIN_MS);
    expect(T0 + 123 - origin).toBeLessThan(ORIGIN_MARGIN_MS + 1000);
  });

  it('counts the same frames whichever chunk fixed the origin', () => {
    const early = { originMs: originFor(T0), fps: 15 };
    const late = { originMs: originFor(T0 + 3_600_777), fps: 15 };
    for (const [start, duration] of [
      [T0 + 33, 5012],
      [T0 + 4999, 4987],
      [T0 + 1_234_567, 333],
    ] as const) {
      expect(spanOf(early, start, duration).frames).toBe(spanOf(late, start, duration).frames);
      expect(frameAt(early, start) - frameAt(late, start)).toBe(
        ((late.originMs - early.originMs) * 15) / 1000,
      );
    }
  });

  it('maps frames back to server time', () => {
    expect(msAt(grid, frameAt(grid, T0 + 877))).toBe(T0 + 900);
  });
});

describe('duplicates and order', () => {
  it('orders by server-time start, not by seq or arrival', () => {
    const { kept } = dedupeChunks([chunk(2, 10_000, 5000), chunk(0, 0, 5000), chunk(1, 5000, 5000)]);
    expect(kept.map((c) => c.seq)).toEqual([0, 1, 2]);
  });

  it('keeps the earliest upload of a seq and the lowest seq of a start', () => {
    const first = chunk(1, 5000, 5000);
    const again = chunk(1, 5040, 5000);
    const sameStart = chunk(7, 5000, 4000);
    const { kept, duplicates } = dedupeChunks([again, chunk(0, 0, 5000), sameStart, first]);
    expect(kept.map((c) => c.key)).toEqual([chunk(0, 0, 5000).key, first.key]);
    expect(duplicates).toEqual([
      { key: sameStart.key, duplicateOf: first.key, reason: 'same start' },
      { key: again.key, duplicateOf: first.key, reason: 'same seq' },
    ]);
  });
});

describe('slots', () => {
  it('cuts a chunk at the start of the next one it overlaps', () => {
    const { slotted } = slotChunks(grid, [chunk(0, 0, 5000), chunk(1, 4600, 5000)]);
    const [a, b] = slotted;
    expect(a?.span.frames).toBe(46);
    expect(a?.natural.frames).toBe(50);
    expect(a && isCut(a)).toBe(true);
    expect(b && isCut(b)).toBe(false);
  });

  it('drops a chunk shorter than half a frame, and one that the next starts on the same frame as', () => {
    const { slotted, dropped } = slotChunks(grid, [
      chunk(0, 0, 5000),
      chunk(1, 5000, 40),
      chunk(2, 6000, 3000),
      chunk(3, 6020, 3000),
    ]);
    expect(slotted.map((c) => c.seq)).toEqual([0, 3]);
    expect(dropped).toEqual([
      { key: chunk(1, 5000, 40).key, reason: 'empty' },
      { key: chunk(2, 6000, 3000).key, reason: 'overlapped' },
    ]);
  });

  it('does not let an empty chunk cut the one before it', () => {
    const { slotted } = slotChunks(grid, [chunk(0, 0, 5000), chunk(1, 2000, 10), chunk(2, 5000, 5000)]);
    expect(slotted[0]?.span.frames).toBe(50);
  });
});

describe('gap planning', () => {
  it('absorbs the small gaps between chunks so the playlist lasts exactly the timeline', () => {
    const chunks = [chunk(0, 0, 4987), chunk(1, 5013, 4990), chunk(2, 10_046, 4990)];
    const timeline = plan(chunks);
    expect(timeline.items.map((i) => i.kind)).toEqual(['chunk', 'chunk', 'chunk']);
    expect(timeline.items.map((i) => [i.span.frames, i.duration])).toEqual([
      [50, 50],
      [50, 50],
      [50, 50],
    ]);
    expect(sum(timeline.items)).toBe(frameAt(grid, T0 + 15_036) - frameAt(grid, T0));
    expect(timeline.span.frames).toBe(sum(timeline.items));
  });

  it('holds the last frame over a gap up to the threshold and reports it as absorbed', () => {
    const timeline = plan([chunk(0, 0, 4500), chunk(1, 5000, 5000)]);
    expect(timeline.items.map((i) => [i.kind, i.span.frames, i.duration])).toEqual([
      ['chunk', 45, 50],
      ['chunk', 50, 50],
    ]);
    expect(timeline.gaps).toEqual([
      { span: { start: frameAt(grid, T0 + 4500), frames: 5 }, filled: 'absorbed' },
    ]);
  });

  it('fills a gap longer than the threshold with placeholders of exactly its length', () => {
    const timeline = plan([chunk(0, 0, 5000), chunk(2, 10_000, 5000)]);
    expect(timeline.items.map((i) => [i.kind, i.span.start - timeline.span.start, i.span.frames])).toEqual([
      ['chunk', 0, 50],
      ['placeholder', 50, 50],
      ['chunk', 100, 50],
    ]);
    expect(timeline.gaps).toEqual([
      { span: { start: frameAt(grid, T0 + 5000), frames: 50 }, filled: 'placeholder' },
    ]);
  });

  it('honours the threshold exactly and in both directions', () => {
    expect(plan([chunk(0, 0, 5000), chunk(1, 5500, 5000)]).gaps[0]?.filled).toBe('absorbed');
    expect(plan([chunk(0, 0, 5000), chunk(1, 5600, 5000)]).gaps[0]?.filled).toBe('placeholder');
    expect(plan([chunk(0, 0, 5000), chunk(1, 5100, 5000)], { gapThresholdMs: 0 }).gaps[0]?.filled).toBe(
      'placeholder',
    );
  });

  it('splits a long gap into near-equal pieces of at most 6 s, whatever the chunks around it', () => {
    const pieces = (chunks: TimelineChunk[]) =>
      plan(chunks)
        .items.filter((i) => i.kind === 'placeholder')
        .map((i) => i.span.frames);
    expect(pieces([chunk(0, 0, 5000), chunk(1, 5000 + 23_000, 5000)])).toEqual([58, 58, 57, 57]);
    expect(pieces([chunk(0, 0, 60_000), chunk(1, 60_000 + 23_000, 500)])).toEqual([58, 58, 57, 57]);
    expect(pieces([chunk(0, 0, 100), chunk(1, 100 + 3_600_000, 100)])).toHaveLength(600);
    expect(splitFrames(101, 50)).toEqual([34, 34, 33]);
    expect(splitFrames(7, 50)).toEqual([7]);
  });

  it('starts with black when another asset started first, and ends with black when it ended later', () => {
    const timeline = plan([chunk(0, 3000, 5000)], { startMs: T0, endMs: T0 + 12_000 });
    expect(timeline.items.map((i) => [i.kind, i.span.frames, i.duration])).toEqual([
      ['placeholder', 30, 30],
      ['chunk', 50, 50],
      ['placeholder', 40, 40],
    ]);
    expect(timeline.span).toEqual({ start: frameAt(grid, T0), frames: 120 });
  });

  it('fills even a tiny lead-in, which has no segment before it to absorb it, and tells it from a gap', () => {
    const timeline = plan([chunk(0, 200, 5000)], { startMs: T0 });
    expect(timeline.items.map((i) => [i.kind, i.span.frames])).toEqual([
      ['placeholder', 2],
      ['chunk', 50],
    ]);
    expect(timeline.gaps.map((gap) => gap.filled)).toEqual(['lead_in']);
    // Past the gap threshold, the wait before the first chunk is a gap like any other.
    const late = plan([chunk(0, 2000, 5000)], { startMs: T0 });
    expect(late.gaps.map((gap) => gap.filled)).toEqual(['placeholder']);
  });

  it('absorbs a short tail after the last chunk', () => {
    const timeline = plan([chunk(0, 0, 5000)], { endMs: T0 + 5300 });
    expect(timeline.items.map((i) => [i.kind, i.duration])).toEqual([['chunk', 53]]);
  });

  it('treats an undecodable chunk (left out by the caller) as a gap', () => {
    const chunks = [chunk(0, 0, 5000), chunk(2, 10_000, 5000)];
    const timeline = plan(chunks, { endMs: T0 + 15_000 });
    expect(sum(timeline.items)).toBe(150);
  });

  it('lasts the timeline within one frame for any chunk pattern', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let run = 0; run < 200; run++) {
      const chunks: TimelineChunk[] = [];
      let at = Math.floor(random() * 1000);
      for (let seq = 0; seq < 20; seq++) {
        const duration = 1000 + Math.floor(random() * 6000);
        if (random() > 0.15) chunks.push(chunk(seq, at, duration));
        at += duration + Math.floor(random() * (random() > 0.8 ? 9000 : 60)) - (random() > 0.9 ? 300 : 0);
      }
      if (chunks.length === 0) continue;
      const startMs = Math.min(...chunks.map((c) => c.startMs));
      const endMs = Math.max(...chunks.map((c) => c.startMs + c.durationMs));
      const timeline = plan(chunks);
      const seconds = sum(timeline.items) / grid.fps;
      expect(Math.abs(seconds - (endMs - startMs) / 1000)).toBeLessThanOrEqual(1 / grid.fps);
      let cursor = timeline.span.start;
      for (const item of timeline.items) {
        expect(item.span.start).toBe(cursor);
        expect(item.duration).toBeGreaterThanOrEqual(item.span.frames);
        cursor += item.duration;
      }
    }
  });

  it('refuses to plan an asset with no decodable chunk', () => {
    expect(() => planTimeline({ grid, chunks: [], startMs: T0, endMs: T0 + 1, gapThresholdMs: 500 })).toThrow(
      RangeError,
    );
  });
});
