/** The player's pure parts: command plans and step positions, timeline geometry, frames, storyboard, keys, times. */
import { describe, expect, it } from 'vitest';
import { COMMANDS, isCommand, planOf, stepPosition } from '../../player/commands.ts';
import { formatOffset, formatWallClock } from '../../player/format.ts';
import { keyCommand } from '../../player/keys.ts';
import { parseStoryboard, tileAt } from '../../player/storyboard.ts';
import {
  bandsOf,
  chunkOfSegment,
  frameAt,
  frameTimes,
  markersOf,
  nextMarker,
  type PlayerEvent,
  previousMarker,
} from '../../player/timeline-geometry.ts';

describe('commands', () => {
  it('names the seed’s commands and nothing else', () => {
    expect(COMMANDS).toHaveLength(10);
    expect(isCommand('SEEK_BACKWARD_16')).toBe(true);
    expect(isCommand('SEEK_BACKWARD_3')).toBe(false);
    expect(isCommand({})).toBe(false);
  });

  it('plays forward with playbackRate up to 4× and steps beyond; backward steps, with frames from 4×', () => {
    expect(planOf('PLAY')).toEqual({ kind: 'play' });
    expect(planOf('SEEK_FORWARD_4')).toEqual({ kind: 'rate', rate: 4 });
    expect(planOf('SEEK_FORWARD_8')).toEqual({ kind: 'step', direction: 1, speed: 8, pictures: 'video' });
    expect(planOf('SEEK_BACKWARD_2')).toEqual({ kind: 'step', direction: -1, speed: 2, pictures: 'video' });
    expect(planOf('SEEK_BACKWARD_4')).toMatchObject({ direction: -1, speed: 4, pictures: 'frames' });
  });

  it('moves a step on the clock and stops at either end', () => {
    const anchor = { position: 50, at: 1000 };
    expect(stepPosition(anchor, { direction: 1, speed: 8 }, 3000, 100)).toBe(66);
    expect(stepPosition(anchor, { direction: -1, speed: 16 }, 3000, 100)).toBe(18);
    expect(stepPosition(anchor, { direction: -1, speed: 16 }, 9000, 100)).toBe(0);
    expect(stepPosition(anchor, { direction: 1, speed: 16 }, 9000, 100)).toBe(100);
  });
});

const event = (id: string, ms: number, severity: PlayerEvent['severity'] = 'warning'): PlayerEvent => ({
  event_id: id,
  type: 't',
  source: 'tenant',
  severity,
  occurred_at_ms: ms,
  details: {},
});

describe('timeline geometry', () => {
  const start = 1_000_000;
  const markers = markersOf(
    [event('b', start + 30_000), event('a', start + 10_000), event('x', start - 1)],
    start,
    100,
  );

  it('places events by server time, in order, leaving out those outside the timeline', () => {
    expect(markers.map((m) => [m.event.event_id, m.time, m.fraction])).toEqual([
      ['a', 10, 0.1],
      ['b', 30, 0.3],
    ]);
  });

  it('finds the previous and next event, moving on from one just jumped to', () => {
    expect(nextMarker(markers, 0)?.time).toBe(10);
    expect(nextMarker(markers, 10)?.time).toBe(30);
    expect(previousMarker(markers, 30)?.time).toBe(10);
    expect(previousMarker(markers, 30.5)?.time).toBe(10);
    expect(previousMarker(markers, 10)).toBeNull();
  });

  it('shades gaps as fractions of the timeline', () => {
    const [band] = bandsOf([{ start_ms: start + 75_000, end_ms: start + 80_000 }], start, 100);
    expect(band).toMatchObject({ start: 75, end: 80, fraction: 0.75 });
    expect(band?.width).toBeCloseTo(0.05, 9);
  });

  it('knows the analysis frames of chunks from their names and picks the one on show', () => {
    expect(chunkOfSegment('360p/000042-1764158400123-5012.ts')).toEqual({
      startMs: 1764158400123,
      durationMs: 5012,
    });
    expect(chunkOfSegment('../hls_playlist/480p/000001-1764158400123-5000-cut120.ts')?.durationMs).toBe(5000);
    expect(chunkOfSegment('360p/gap-52924752003690-150.ts')).toBeNull();
    const times = frameTimes([
      { startMs: 10_000, durationMs: 2500 },
      { startMs: 12_500, durationMs: 1000 },
    ]);
    expect(times).toEqual([10_000, 11_000, 12_000, 12_500]);
    expect(frameAt(times, 12_400)).toBe(12_000);
    expect(frameAt(times, 9_999)).toBeNull();
  });
});

describe('storyboard', () => {
  const vtt = `WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nsheet_0.jpg#xywh=0,0,160,90\n\n00:00:02.000 --> 00:00:04.000\nsheet_0.jpg#xywh=160,0,160,90\n`;
  it('parses tiles and finds the one for a time', () => {
    const tiles = parseStoryboard(vtt);
    expect(tiles).toHaveLength(2);
    expect(tileAt(tiles, 3.2)).toMatchObject({ sheet: 'sheet_0.jpg', x: 160, y: 0, w: 160, h: 90 });
    expect(tileAt(tiles, 0)?.x).toBe(0);
  });
});

describe('keys and times', () => {
  const key = (k: string, code = '', shiftKey = false) => ({
    key: k,
    code,
    shiftKey,
    ctrlKey: false,
    metaKey: false,
    altKey: false,
  });
  it('has a key for every command', () => {
    expect(keyCommand(key(' '), 'paused', 0)).toBe('PLAY');
    expect(keyCommand(key('k'), 'playing', 1)).toBe('PAUSE');
    expect(keyCommand(key('l'), 'paused', 0)).toBe('SEEK_FORWARD_2');
    expect(keyCommand(key('l'), 'seeking_forward', 8)).toBe('SEEK_FORWARD_16');
    expect(keyCommand(key('j'), 'seeking_backward', 2)).toBe('SEEK_BACKWARD_4');
    expect(keyCommand(key('3', 'Digit3'), 'paused', 0)).toBe('SEEK_FORWARD_8');
    expect(keyCommand(key('#', 'Digit3', true), 'paused', 0)).toBe('SEEK_BACKWARD_8');
    expect(keyCommand(key(']'), 'paused', 0)).toBe('next-event');
    expect(keyCommand({ ...key('l'), ctrlKey: true }, 'paused', 0)).toBeNull();
  });

  it('formats offsets and server time', () => {
    expect(formatOffset(65.9)).toBe('1:05');
    expect(formatOffset(3725)).toBe('1:02:05');
    expect(formatOffset(-3)).toBe('0:00');
    expect(formatWallClock(Date.UTC(2026, 10, 29, 13, 5, 9))).toBe('2026-11-29 13:05:09 UTC');
  });
});
