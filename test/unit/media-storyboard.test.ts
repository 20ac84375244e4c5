import { describe, expect, it } from 'vitest';
import { storyboardJob, storyboardLayout, storyboardVtt } from '../../transcoder/media/storyboard.ts';
import { graphOf, valuesOf } from '../support/ffmpeg-args.ts';

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

describe('storyboardJob', () => {
  const base = {
    source: 'local/index_360p.m3u8',
    sourceSize: { width: 640, height: 360 },
    intervalSec: 2,
    tileCount: 37,
    tile: { width: 160, height: 90 },
    columns: 10,
    rows: 4,
    pattern: 'sb/sheet_%d.jpg',
    keyframesOnly: false,
  };

  it('samples one picture per interval, holds the last, cuts at the tile count and tiles it', () => {
    const job = storyboardJob(base);
    expect(graphOf(job)).toEqual([
      '[0:v:0]tpad=stop_mode=clone:stop=-1,fps=1/2:start_time=0,trim=end_frame=37,scale=160:90,setsar=1,tile=10x4[sheets]',
    ]);
    expect(job.inputs).toEqual([{ options: [], source: 'local/index_360p.m3u8' }]);
    expect(job.outputs[0]?.target).toBe('sb/sheet_%d.jpg');
    expect(valuesOf(job.outputs[0]?.options ?? [], '-start_number')).toEqual(['0']);
    expect(valuesOf(job.outputs[0]?.options ?? [], '-fps_mode')).toEqual(['passthrough']);
  });

  it('decodes keyframes only when asked', () => {
    expect(storyboardJob({ ...base, keyframesOnly: true }).inputs[0]?.options).toEqual([
      '-skip_frame',
      'nokey',
    ]);
  });
});
