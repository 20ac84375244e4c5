import { describe, expect, it } from 'vitest';
import {
  frameCount,
  frameOffsetMs,
  slotTiming,
  TIMELINE_BASE_OFFSET_SEC,
} from '../../transcoder/media/timing.ts';

describe('slotTiming', () => {
  it('places a slot on the frame grid with the constant base offset', () => {
    const t = slotTiming({ startSec: 5, durationSec: 5 }, 10);
    expect(t).toMatchObject({ startFrame: 50, frameCount: 50, startSec: 5, durationSec: 5 });
    expect(t.offsetSec).toBe(TIMELINE_BASE_OFFSET_SEC + 5);
  });

  it('rounds both ends to the nearest frame, so consecutive slots tile exactly', () => {
    const t = slotTiming({ startSec: 1.234, durationSec: 4.9 }, 10);
    expect(t).toMatchObject({ startFrame: 12, frameCount: 49, startSec: 1.2, durationSec: 4.9 });
    const starts = [0, 4.987, 10.013, 14.999, 20.02];
    for (let i = 0; i + 1 < starts.length; i++) {
      const a = slotTiming(
        { startSec: starts[i] ?? 0, durationSec: (starts[i + 1] ?? 0) - (starts[i] ?? 0) },
        10,
      );
      const b = slotTiming({ startSec: starts[i + 1] ?? 0, durationSec: 1 }, 10);
      expect(a.startFrame + a.frameCount).toBe(b.startFrame);
    }
  });

  it('cuts audio on the AAC grid: the priming frame starts where the previous slot ended', () => {
    // Session samples covered by a segment's AAC packets, priming frame included.
    const packets = (startSec: number, durationSec: number, fps: number) => {
      const t = slotTiming({ startSec, durationSec }, fps);
      const first = (t.startFrame * 48_000) / fps + t.audio.skipSamples;
      return { from: first - 1024, to: first + t.audio.sampleCount, t };
    };
    for (const fps of [10, 15, 30]) {
      let previous = packets(0, 4.9, fps);
      expect(previous.from).toBe(0);
      for (const [start, length] of [
        [4.9, 5.05],
        [9.95, 0.5],
        [10.45, 7.3],
        [17.75, 2],
      ] as const) {
        const next = packets(start, length, fps);
        expect(next.from).toBe(previous.to);
        expect(next.from % 1024).toBe(0);
        expect(next.t.audio.sampleCount % 1024).toBe(0);
        // The skipped part is at most one AAC frame and a half (≤ 32 ms) of the slot's own audio.
        expect(next.t.audio.skipSamples).toBeGreaterThan(0);
        expect(next.t.audio.skipSamples).toBeLessThanOrEqual(1536);
        previous = next;
      }
    }
  });

  it('gives the first slot of a session its grid values', () => {
    expect(slotTiming({ startSec: 0, durationSec: 5 }, 10).audio).toEqual({
      skipSamples: 1024,
      sampleCount: 238_592,
    });
    expect(slotTiming({ startSec: 5, durationSec: 5 }, 10).audio).toEqual({
      skipSamples: 640,
      sampleCount: 239_616,
    });
  });

  it('keeps a far-from-zero origin exact', () => {
    const t = slotTiming({ startSec: 43_200.3, durationSec: 5 }, 10);
    expect(t.offsetSec).toBe(43_210.3);
    expect(t.frameCount).toBe(50);
  });

  it.each([0, 7, 12.5, 61, -10])('refuses fps %s', (fps) => {
    expect(() => slotTiming({ startSec: 0, durationSec: 5 }, fps)).toThrow(RangeError);
  });

  it.each([
    [{ startSec: 0, durationSec: 0.04 }, 10],
    [{ startSec: 0, durationSec: 0 }, 10],
    [{ startSec: 0, durationSec: -1 }, 10],
    [{ startSec: 0, durationSec: 0.02 }, 60],
    [{ startSec: -1, durationSec: 5 }, 10],
    [{ startSec: Number.NaN, durationSec: 5 }, 10],
  ])('refuses slot %j at %i fps', (slot, fps) => {
    expect(() => slotTiming(slot, fps)).toThrow(RangeError);
  });
});

describe('frame naming', () => {
  it.each([
    [5, 1, 5],
    [4.3, 1, 5],
    [4, 1, 4],
    [4.9, 2, 10],
    [5, 0.5, 3],
  ])('%f s at %f fps gives %i frames', (duration, fps, count) => {
    expect(frameCount(duration, fps)).toBe(count);
  });

  it('offsets frames by whole milliseconds', () => {
    expect([0, 1, 2].map((i) => frameOffsetMs(i, 1))).toEqual([0, 1000, 2000]);
    expect([0, 1, 2].map((i) => frameOffsetMs(i, 3))).toEqual([0, 333, 667]);
  });
});
