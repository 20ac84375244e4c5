import { describe, expect, it } from 'vitest';
import { toArgv } from '../../transcoder/media/job.ts';
import { stitchJob } from '../../transcoder/media/stitch.ts';

describe('stitchJob', () => {
  it('copies video and audio into a fast-start MP4', () => {
    const job = stitchJob({ playlist: 'p/index_720p.m3u8', target: 'out.partial' });
    expect(toArgv(job)).toEqual([
      '-i',
      'p/index_720p.m3u8',
      '-hide_banner',
      '-nostdin',
      '-v',
      'error',
      '-stats',
      '-map',
      '0:v:0',
      '-map',
      '0:a:0?',
      '-c',
      'copy',
      '-bsf:a',
      'aac_adtstoasc',
      '-movflags',
      '+faststart',
      '-f',
      'mp4',
      'out.partial',
    ]);
  });
});
