import { describe, expect, it } from 'vitest';
import { FfmpegError, isInputFailure } from '../../transcoder/media/ffmpeg-error.ts';
import { interpretProbe, lastPacketEnd, lateStream, probeArgs } from '../../transcoder/media/probe.ts';
import { runTimeoutMs } from '../../transcoder/media/runner.ts';
import { chunkSlotMs, MEDIA_SLACK_MS } from '../../transcoder/timeline/chunks.ts';

const VP8_WITH_OPUS = JSON.stringify({
  streams: [
    { index: 0, codec_name: 'vp8', codec_type: 'video', width: 1920, height: 1080 },
    { index: 1, codec_name: 'opus', codec_type: 'audio' },
  ],
  format: { duration: '4.838652' },
});

describe('interpretProbe', () => {
  it('reads a chunk whose headers parsed cleanly', () => {
    expect(interpretProbe(0, VP8_WITH_OPUS, '')).toEqual({
      decodable: true,
      durationSec: 4.838652,
      width: 1920,
      height: 1080,
      hasAudio: true,
      videoCodec: 'vp8',
    });
  });

  it('calls a chunk with any error in its first packets undecodable, keeping what was found', () => {
    const probe = interpretProbe(0, VP8_WITH_OPUS, '[matroska,webm @ 0x5593] File ended prematurely\n');
    expect(probe).toMatchObject({
      decodable: false,
      reason: '[matroska,webm @ 0x5593] File ended prematurely',
      width: 1920,
    });
  });

  it('reports a failed ffprobe with its first error', () => {
    expect(interpretProbe(1, '{}', 'x.webm: Invalid data found when processing input\n')).toEqual({
      decodable: false,
      reason: 'x.webm: Invalid data found when processing input',
      durationSec: 0,
      width: 0,
      height: 0,
      hasAudio: false,
      videoCodec: '',
    });
    expect(interpretProbe(1, '', '')).toMatchObject({
      decodable: false,
      reason: 'ffprobe exited with code 1',
    });
  });

  it('needs a video stream with a picture size', () => {
    const audioOnly = JSON.stringify({
      streams: [{ index: 0, codec_type: 'audio', codec_name: 'opus' }],
      format: { duration: '5' },
    });
    expect(interpretProbe(0, audioOnly, '')).toMatchObject({
      decodable: false,
      reason: 'no video stream',
      hasAudio: true,
    });
    const noSize = JSON.stringify({
      streams: [{ index: 0, codec_type: 'video', codec_name: 'vp8', width: 0, height: 0 }],
    });
    expect(interpretProbe(0, noSize, '')).toMatchObject({
      decodable: false,
      reason: 'no picture size in the video stream',
    });
  });

  it('reads the end of the last video packet from short CSV lines, in any order', () => {
    expect(lastPacketEnd('0.000000,0.100000\n2.400000,0.100000\n1.000000,N/A\n\n')).toBeCloseTo(2.5, 9);
    expect(lastPacketEnd('')).toBe(0);
    expect(lastPacketEnd('N/A,N/A\n')).toBe(0);
  });

  it('refuses a picture larger than 4096 × 2304 either way up', () => {
    const sized = (width: number, height: number) =>
      JSON.stringify({
        streams: [{ index: 0, codec_type: 'video', codec_name: 'vp8', width, height }],
        format: { duration: '5' },
      });
    expect(interpretProbe(0, sized(4096, 2304), '').decodable).toBe(true);
    expect(interpretProbe(0, sized(2304, 4096), '').decodable).toBe(true);
    expect(interpretProbe(0, sized(4098, 2), '')).toMatchObject({
      decodable: false,
      reason: 'picture 4098×2 is larger than 4096×2304',
    });
    expect(interpretProbe(0, sized(3000, 3000), '').decodable).toBe(false);
  });

  it('reads the first timestamp of each stream, and calls a stream starting after the slot late', () => {
    const late = JSON.stringify({
      streams: [
        {
          index: 0,
          codec_type: 'video',
          codec_name: 'vp8',
          width: 64,
          height: 64,
          start_time: '0.000000',
        },
        { index: 1, codec_type: 'audio', codec_name: 'opus', start_time: '3600.000000' },
      ],
      format: { duration: '3600.5' },
    });
    const probe = interpretProbe(0, late, '');
    expect(probe).toMatchObject({ decodable: true, videoStartSec: 0, audioStartSec: 3600 });
    expect(lateStream(probe, 5)).toBe("audio starts at 3600 s, after the chunk's 5 s slot ends");
    expect(lateStream({ ...probe, audioStartSec: -0.007 }, 5)).toBeNull();
    expect(lateStream({ ...probe, videoStartSec: 5, audioStartSec: undefined }, 5)).toMatch(/^video starts/);
  });

  it('calls a chunk in another container than its name says undecodable, naming both', () => {
    const hls = JSON.stringify({
      ...JSON.parse(VP8_WITH_OPUS),
      format: { duration: '5', format_name: 'hls' },
    });
    expect(interpretProbe(0, hls, '', 'matroska,webm')).toMatchObject({
      decodable: false,
      reason: 'container hls, not the matroska,webm its name says',
      width: 1920,
    });
    const webm = JSON.stringify({ ...JSON.parse(VP8_WITH_OPUS), format: { format_name: 'matroska,webm' } });
    expect(interpretProbe(0, webm, '', 'matroska,webm').decodable).toBe(true);
    expect(interpretProbe(0, VP8_WITH_OPUS, '', 'matroska,webm')).toMatchObject({
      decodable: false,
      reason: 'container unknown, not the matroska,webm its name says',
    });
  });

  it('keeps the colours the video stream declares, and none it leaves unknown', () => {
    const declared = (color_range: string, color_space: string) =>
      JSON.stringify({
        streams: [
          {
            index: 0,
            codec_type: 'video',
            codec_name: 'vp8',
            width: 64,
            height: 64,
            color_range,
            color_space,
          },
        ],
      });
    expect(interpretProbe(0, declared('pc', 'bt709'), '')).toMatchObject({
      colorRange: 'pc',
      colorSpace: 'bt709',
    });
    const unknown = interpretProbe(0, declared('unknown', 'unknown'), '');
    expect(unknown).not.toHaveProperty('colorRange');
    expect(unknown).not.toHaveProperty('colorSpace');
  });

  it('does not throw on output that is not ffprobe JSON', () => {
    expect(interpretProbe(0, 'not json', '')).toMatchObject({
      decodable: false,
      reason: 'ffprobe wrote unreadable output (exit 0)',
    });
  });
});

describe('probeArgs', () => {
  it('reads headers without decoding every frame (the encode does that), and asks for JSON', () => {
    const args = probeArgs('c.webm');
    expect(args).not.toContain('-count_frames');
    expect(args[args.indexOf('-of') + 1]).toBe('json');
    expect(args[args.indexOf('-v') + 1]).toBe('error');
    expect(args.at(-1)).toBe('c.webm');
  });

  it('asks for the container and the colours the streams declare', () => {
    const entries = probeArgs('c.webm')[probeArgs('c.webm').indexOf('-show_entries') + 1];
    expect(entries).toMatch(/^stream=.*,color_range,color_space:format=duration,format_name$/);
  });
});

describe('bounds per chunk', () => {
  it('gives a chunk its name’s slot, but at most its media’s length plus 10 s', () => {
    expect(chunkSlotMs(5000, 2.2)).toBe(5000);
    expect(chunkSlotMs(60_000, 55)).toBe(60_000);
    expect(chunkSlotMs(60_000, 0.2)).toBe(10_200);
    expect(chunkSlotMs(60_000, 0)).toBe(MEDIA_SLACK_MS);
  });

  it('limits each run in proportion to its media', () => {
    expect(runTimeoutMs(0)).toBe(60_000);
    expect(runTimeoutMs(60)).toBe(60_000 + 20 * 60_000);
    expect(runTimeoutMs(4 * 3600, 1000)).toBe(60_000 + 4 * 3600 * 1000);
  });

  it('tells a failure of the input from a timeout, and from a tool that never started', () => {
    const details = { tool: 'ffmpeg' as const, args: [], stderrTail: '' };
    expect(isInputFailure(new FfmpegError('exit 1', details))).toBe(true);
    expect(isInputFailure(new FfmpegError('timed out', { ...details, timedOut: true }))).toBe(false);
    expect(isInputFailure(new FfmpegError('spawn ENOENT', { ...details, started: false }))).toBe(false);
    expect(isInputFailure(new Error('S3 is down'))).toBe(false);
  });
});
