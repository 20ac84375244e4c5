import HLS from 'hls-parser';
import { describe, expect, it } from 'vitest';
import { masterPlaylist, mediaPlaylist, readMediaPlaylist } from '../../transcoder/playlists/hls.ts';
import { secondsOf } from '../../transcoder/timeline/grid.ts';

describe('media playlists', () => {
  const segments = [
    { uri: '360p/000000-1764158400000-4987.ts', duration: 5 },
    { uri: '360p/gap-17641584050-46.ts', duration: 4.6 },
    { uri: '360p/000002-1764158409600-6012.ts', duration: 6.1 },
  ];

  it('writes a closed VOD playlist that reads back to the same segments', () => {
    const text = mediaPlaylist(segments, 'vod');
    expect(text).toBe(
      [
        '#EXTM3U',
        '#EXT-X-VERSION:3',
        '#EXT-X-INDEPENDENT-SEGMENTS',
        '#EXT-X-TARGETDURATION:6',
        '#EXT-X-PLAYLIST-TYPE:VOD',
        '#EXTINF:5,',
        '360p/000000-1764158400000-4987.ts',
        '#EXTINF:4.6,',
        '360p/gap-17641584050-46.ts',
        '#EXTINF:6.1,',
        '360p/000002-1764158409600-6012.ts',
        '#EXT-X-ENDLIST',
        '',
      ].join('\n'),
    );
    expect(readMediaPlaylist(text)).toEqual({ segments, ended: true });
  });

  it('writes an EVENT playlist that stays open', () => {
    const text = mediaPlaylist(segments.slice(0, 2), 'event');
    expect(text).toContain('#EXT-X-PLAYLIST-TYPE:EVENT');
    expect(text).not.toContain('#EXT-X-ENDLIST');
    expect(readMediaPlaylist(text)?.ended).toBe(false);
  });

  it('rounds the target duration the way RFC 8216 compares it', () => {
    expect(mediaPlaylist([{ uri: 'a.ts', duration: 6.49 }], 'vod')).toContain('#EXT-X-TARGETDURATION:6');
    expect(mediaPlaylist([{ uri: 'a.ts', duration: 6.5 }], 'vod')).toContain('#EXT-X-TARGETDURATION:7');
    expect(mediaPlaylist([{ uri: 'a.ts', duration: 0.1 }], 'vod')).toContain('#EXT-X-TARGETDURATION:1');
  });

  it('keeps durations at 15 fps within a microsecond per segment, so long playlists add up', () => {
    const grid = { originMs: 0, fps: 15 };
    const many = Array.from({ length: 720 }, (_, i) => ({ uri: `${i}.ts`, duration: secondsOf(grid, 76) }));
    const parsed = HLS.parse(mediaPlaylist(many, 'vod')) as InstanceType<typeof HLS.types.MediaPlaylist>;
    const total = parsed.segments.reduce((sum, segment) => sum + segment.duration, 0);
    expect(Math.abs(total - (720 * 76) / 15)).toBeLessThan(1e-3);
  });

  it('refuses an empty playlist', () => {
    expect(() => mediaPlaylist([], 'vod')).toThrow(RangeError);
  });

  it('reads nothing from a master playlist or garbage', () => {
    expect(readMediaPlaylist('not a playlist')).toBeNull();
    expect(
      readMediaPlaylist(
        masterPlaylist([
          {
            uri: 'index_360p.m3u8',
            bandwidth: 1,
            codecs: 'avc1.42c01e',
            resolution: { width: 2, height: 2 },
          },
        ]),
      ),
    ).toBeNull();
  });
});

describe('master playlists', () => {
  it('lists variants from the lowest bandwidth with their resolution, codecs and frame rate', () => {
    const text = masterPlaylist([
      {
        uri: 'index_720p.m3u8',
        bandwidth: 3_000_000,
        codecs: 'avc1.64001f,mp4a.40.2',
        resolution: { width: 1280, height: 720 },
        frameRate: 10,
      },
      {
        uri: 'index_360p.m3u8',
        bandwidth: 900_000,
        codecs: 'avc1.64001e,mp4a.40.2',
        resolution: { width: 640, height: 360 },
        frameRate: 10,
      },
    ]);
    const parsed = HLS.parse(text) as InstanceType<typeof HLS.types.MasterPlaylist>;
    expect(parsed.isMasterPlaylist).toBe(true);
    expect(
      parsed.variants.map((v) => [
        v.uri,
        v.bandwidth,
        v.codecs,
        v.resolution?.width,
        v.resolution?.height,
        v.frameRate,
      ]),
    ).toEqual([
      ['index_360p.m3u8', 900_000, 'avc1.64001e,mp4a.40.2', 640, 360, 10],
      ['index_720p.m3u8', 3_000_000, 'avc1.64001f,mp4a.40.2', 1280, 720, 10],
    ]);
    expect(text).toContain('#EXT-X-INDEPENDENT-SEGMENTS');
  });

  it('refuses a master with no variant', () => {
    expect(() => masterPlaylist([])).toThrow(RangeError);
  });
});
