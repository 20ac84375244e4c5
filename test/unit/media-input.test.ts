import { describe, expect, it } from 'vitest';
import { chunkEncodeJob } from '../../transcoder/media/chunk.ts';
import { chunkContainer, chunkInputOptions } from '../../transcoder/media/input.ts';
import { toArgv } from '../../transcoder/media/job.ts';
import { probeArgs, videoPacketArgs } from '../../transcoder/media/probe.ts';
import { slotTiming } from '../../transcoder/media/timing.ts';

describe('chunkInputOptions', () => {
  it('forces the container the extension names, admits no other format and only local files', () => {
    expect(chunkInputOptions('/w/000001-1764158400123-5000.webm')).toEqual([
      '-f',
      'matroska',
      '-format_whitelist',
      'matroska',
      '-protocol_whitelist',
      'file',
    ]);
    expect(chunkInputOptions('/w/000001-1764158400123-5000.mp4')).toEqual([
      '-f',
      'mp4',
      '-format_whitelist',
      'mp4',
      '-protocol_whitelist',
      'file',
    ]);
  });

  it('names what ffprobe calls each container', () => {
    expect(chunkContainer('a.webm').formatName).toBe('matroska,webm');
    expect(chunkContainer('a.mp4').formatName).toBe('mov,mp4,m4a,3gp,3g2,mj2');
  });

  it.each(['a.jpg', 'a.m3u8', 'a.mkv', 'a', 'a.WEBM'])('refuses to read %s as a chunk', (file) => {
    expect(() => chunkInputOptions(file)).toThrow(RangeError);
  });

  it('goes before the chunk in every run that reads it: the probes and the encode', () => {
    const file = 'in/000001-1764158400123-5000.mp4';
    const encode = chunkEncodeJob({
      input: file,
      source: { width: 640, height: 360 },
      hasAudio: true,
      timing: slotTiming({ startSec: 0, durationSec: 5 }, 10),
      fps: 10,
      segments: [{ rendition: '360p', size: { width: 640, height: 360 }, target: 'o.ts' }],
      scaleFlags: 'bilinear',
    });
    expect(encode.inputs.map((input) => input.source)).toEqual([file]);
    const runs = { encode: toArgv(encode), probe: probeArgs(file), packets: videoPacketArgs(file) };
    for (const [run, args] of Object.entries(runs)) {
      expect(args.filter((arg) => arg === file)).toHaveLength(1);
      const before = args.slice(0, args.indexOf(file)).join(' ');
      expect({ run, before }).toEqual({
        run,
        before: expect.stringContaining(chunkInputOptions(file).join(' ')),
      });
    }
  });
});
