import { describe, expect, it } from 'vitest';
import { interpretProbe } from '../../transcoder/media/probe.ts';

const VP8_WITH_OPUS = JSON.stringify({
  streams: [
    { index: 0, codec_name: 'vp8', codec_type: 'video', width: 1920, height: 1080, nb_read_frames: '44' },
    { index: 1, codec_name: 'opus', codec_type: 'audio', nb_read_frames: '81' },
  ],
  format: { duration: '4.838652' },
  packets: [{ stream_index: 0, pts_time: '0.000000', duration_time: '0.033000' }],
});

describe('interpretProbe', () => {
  it('reads a chunk that decoded cleanly', () => {
    expect(interpretProbe(0, VP8_WITH_OPUS, '')).toEqual({
      decodable: true,
      durationSec: 4.838652,
      width: 1920,
      height: 1080,
      hasAudio: true,
      videoCodec: 'vp8',
      videoFrames: 44,
    });
  });

  it('calls a chunk with any decode error undecodable, keeping what was found', () => {
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
      videoFrames: 0,
    });
    expect(interpretProbe(1, '', '')).toMatchObject({
      decodable: false,
      reason: 'ffprobe exited with code 1',
    });
  });

  it('needs a video stream with decoded frames', () => {
    const audioOnly = JSON.stringify({
      streams: [{ index: 0, codec_type: 'audio', codec_name: 'opus' }],
      format: { duration: '5' },
    });
    expect(interpretProbe(0, audioOnly, '')).toMatchObject({
      decodable: false,
      reason: 'no video stream',
      hasAudio: true,
    });
    const noFrames = JSON.stringify({
      streams: [
        { index: 0, codec_type: 'video', codec_name: 'vp8', width: 640, height: 360, nb_read_frames: '0' },
      ],
    });
    expect(interpretProbe(0, noFrames, '')).toMatchObject({
      decodable: false,
      reason: 'no video frame decoded',
    });
  });

  it('takes the duration from the last video packet when the container has none', () => {
    const noDuration = JSON.stringify({
      streams: [
        { index: 0, codec_type: 'video', codec_name: 'vp9', width: 640, height: 360, nb_read_frames: '3' },
      ],
      format: {},
      packets: [
        { stream_index: 0, pts_time: '0.000000', duration_time: '0.100000' },
        { stream_index: 0, pts_time: '2.400000', duration_time: '0.100000' },
        { stream_index: 1, pts_time: '4.900000', duration_time: '0.020000' },
        { stream_index: 0, pts_time: '1.000000' },
      ],
    });
    expect(interpretProbe(0, noDuration, '')).toMatchObject({ decodable: true, durationSec: 2.5 });
  });

  it('does not throw on output that is not ffprobe JSON', () => {
    expect(interpretProbe(0, 'not json', '')).toMatchObject({
      decodable: false,
      reason: 'ffprobe wrote unreadable output (exit 0)',
    });
  });
});
