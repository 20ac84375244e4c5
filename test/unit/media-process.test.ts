import { describe, expect, it } from 'vitest';
import { parseStats } from '../../transcoder/media/tool-process.ts';

describe('parseStats', () => {
  it.each([
    [
      'frame=   50 fps=0.0 q=-1.0 Lq=1.6 size=     110kB time=00:00:05.00 bitrate= 179.6kbits/s speed=67.4x',
      { frame: 50, seconds: 5 },
    ],
    ['size=    2048kB time=01:02:03.50 bitrate=  270.3kbits/s speed= 900x', { frame: null, seconds: 3723.5 }],
    ['frame=    0 fps=0.0 q=0.0 size=       0kB time=-00:00:00.02 bitrate=N/A', { frame: 0, seconds: null }],
    ['frame=    3 fps=0.0 q=0.0 size=       0kB time=N/A bitrate=N/A', { frame: 3, seconds: null }],
    ['[h264 @ 0x55] error while decoding MB 3 2', null],
  ])('%s → %j', (line, stats) => {
    expect(parseStats(line)).toEqual(stats);
  });
});
