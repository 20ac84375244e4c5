import { describe, expect, it } from 'vitest';
import { storyboardLayout, storyboardVtt } from '../../transcoder/media/storyboard.ts';

const HD = { width: 1280, height: 720 };

describe('storyboardLayout', () => {
  it.each([
    [10, 2, 5, 5, 1, 1],
    [61.5, 2, 31, 10, 4, 1],
    [600, 2, 300, 10, 10, 3],
    [1201, 3, 401, 10, 10, 5],
    [3600, 6, 600, 10, 10, 6],
    [3 * 3600, 18, 600, 10, 10, 6],
    [1, 2, 1, 1, 1, 1],
  ])(
    '%f s: a tile every %i s, %i tiles, %i × %i per sheet, %i sheets',
    (duration, interval, tiles, columns, rows, sheets) => {
      expect(storyboardLayout(duration, HD)).toEqual({
        intervalSec: interval,
        tileCount: tiles,
        tile: { width: 160, height: 90 },
        columns,
        rows,
        sheetCount: sheets,
      });
    },
  );

  it('keeps the source aspect ratio in its tiles', () => {
    expect(storyboardLayout(10, { width: 1152, height: 720 }).tile).toEqual({ width: 160, height: 100 });
  });

  it('refuses an empty session', () => {
    expect(() => storyboardLayout(0, HD)).toThrow(RangeError);
  });
});

describe('storyboardVtt', () => {
  it('has one cue per tile, back to back from 0 to the end, each pointing at its tile', () => {
    const layout = storyboardLayout(61.5, HD);
    const vtt = storyboardVtt(layout, 61.5);
    expect(vtt.startsWith('WEBVTT\n\n')).toBe(true);
    const cues = vtt.trim().split('\n\n').slice(1);
    expect(cues).toHaveLength(31);
    expect(cues[0]).toBe('00:00:00.000 --> 00:00:02.000\nsheet_0.jpg#xywh=0,0,160,90');
    expect(cues[11]).toBe('00:00:22.000 --> 00:00:24.000\nsheet_0.jpg#xywh=160,90,160,90');
    expect(cues[30]).toBe('00:01:00.000 --> 00:01:01.500\nsheet_0.jpg#xywh=0,270,160,90');
  });

  it('moves to the next sheet after a full one, and writes hours', () => {
    const layout = storyboardLayout(3 * 3600, HD);
    const cues = storyboardVtt(layout, 3 * 3600)
      .trim()
      .split('\n\n')
      .slice(1);
    expect(cues[100]).toBe('00:30:00.000 --> 00:30:18.000\nsheet_1.jpg#xywh=0,0,160,90');
    expect(cues.at(-1)).toBe('02:59:42.000 --> 03:00:00.000\nsheet_5.jpg#xywh=1440,810,160,90');
  });
});
