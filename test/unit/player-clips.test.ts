import { describe, expect, it } from 'vitest';
import { EVENT_CLIP_MARGIN_MS, eventClipRange, markedClipRange } from '../../player/clips.ts';
import { keyCommand } from '../../player/keys.ts';

const span = { startMs: 1_000_000, endMs: 1_100_000 };
const key = (k: string) => ({
  key: k,
  code: '',
  shiftKey: false,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
});

describe('player clip ranges', () => {
  it('clips an event ±30 s, kept inside the recording', () => {
    expect(eventClipRange(1_050_000, span)).toEqual({ start_ms: 1_020_000, end_ms: 1_080_000 });
    expect(eventClipRange(1_010_000, span)).toEqual({ start_ms: 1_000_000, end_ms: 1_040_000 });
    expect(eventClipRange(1_099_000, span)).toEqual({ start_ms: 1_069_000, end_ms: 1_100_000 });
    expect(eventClipRange(span.endMs + EVENT_CLIP_MARGIN_MS, span)).toBeNull();
  });

  it('clips between the marks in either order, once both are set and apart', () => {
    expect(markedClipRange({ in: 20, out: 32.5 }, span)).toEqual({ start_ms: 1_020_000, end_ms: 1_032_500 });
    expect(markedClipRange({ in: 32.5, out: 20 }, span)).toEqual({ start_ms: 1_020_000, end_ms: 1_032_500 });
    expect(markedClipRange({ in: 90, out: 200 }, span)).toEqual({ start_ms: 1_090_000, end_ms: 1_100_000 });
    expect(markedClipRange({ in: 20, out: null }, span)).toBeNull();
    expect(markedClipRange({ in: 20, out: 20 }, span)).toBeNull();
  });

  it('marks in and out with I and O', () => {
    expect(keyCommand(key('i'), 'paused', 0)).toBe('mark-in');
    expect(keyCommand(key('O'), 'playing', 1)).toBe('mark-out');
  });
});
