/**
 * HLS playlist text, built and read with hls-parser so every tag follows RFC 8216 as that library
 * implements it. Pure: callers decide URIs and durations (from the timeline plan).
 */
import HLS from 'hls-parser';

const { MediaPlaylist, MasterPlaylist, Segment, Variant } = HLS.types;

// Strict mode: a malformed playlist throws instead of being logged and half-parsed, and a playlist we
// build wrong throws instead of being written. hls-parser 0.16 takes no options per call: `parse(text)`
// and `stringify(playlist)` read one object that `setOptions` changes for the whole process
// (node_modules/hls-parser/utils.js). Every use of it in the transcoder comes through this module and
// wants the same, so it is set once, when this module loads, rather than switched around each call.
HLS.setOptions({ strictMode: true });

/** A segment as a media playlist lists it. */
export interface PlaylistSegment {
  /** Relative to the playlist. */
  uri: string;
  /** Seconds (EXTINF). */
  duration: number;
}

/** What a media playlist is for: a finished recording, or one still being recorded (append-only). */
export type PlaylistKind = 'vod' | 'event';

// Decimal EXTINF durations need protocol version 3 (RFC 8216 §7).
const VERSION = 3;

/**
 * A media playlist. Every segment starts with a key frame (each chunk is encoded on its own), so the
 * playlist says its segments are independent. A VOD playlist is closed with ENDLIST; an EVENT one is not.
 */
export function mediaPlaylist(segments: readonly PlaylistSegment[], kind: PlaylistKind): string {
  if (segments.length === 0) throw new RangeError('a media playlist needs at least one segment');
  const playlist = new MediaPlaylist({
    version: VERSION,
    independentSegments: true,
    // RFC 8216 §4.3.3.1: each EXTINF rounded to the nearest integer must not exceed the target duration.
    targetDuration: Math.max(1, ...segments.map((segment) => Math.round(segment.duration))),
    playlistType: kind === 'vod' ? 'VOD' : 'EVENT',
    endlist: kind === 'vod',
    segments: segments.map((segment) => new Segment({ uri: segment.uri, duration: segment.duration })),
  });
  return `${HLS.stringify(playlist)}\n`;
}

/** One variant of a master playlist. */
export interface PlaylistVariant {
  uri: string;
  /** Peak bits per second (BANDWIDTH). */
  bandwidth: number;
  /** RFC 6381 codec strings, comma-separated (CODECS). */
  codecs: string;
  resolution: { width: number; height: number };
  frameRate?: number;
}

/** A master playlist listing variants from the lowest bandwidth up. */
export function masterPlaylist(variants: readonly PlaylistVariant[]): string {
  if (variants.length === 0) throw new RangeError('a master playlist needs at least one variant');
  const playlist = new MasterPlaylist({
    version: VERSION,
    independentSegments: true,
    variants: [...variants]
      .sort((a, b) => a.bandwidth - b.bandwidth)
      .map(
        (variant) =>
          new Variant({
            uri: variant.uri,
            bandwidth: variant.bandwidth,
            codecs: variant.codecs,
            resolution: variant.resolution,
            frameRate: variant.frameRate,
          }),
      ),
  });
  return `${HLS.stringify(playlist)}\n`;
}

/** The segments of a media playlist, and whether it is closed; `null` when the text is not one. */
export function readMediaPlaylist(text: string): { segments: PlaylistSegment[]; ended: boolean } | null {
  let playlist: ReturnType<typeof HLS.parse>;
  try {
    playlist = HLS.parse(text);
  } catch {
    return null;
  }
  if (playlist.isMasterPlaylist) return null;
  const media = playlist as InstanceType<typeof MediaPlaylist>;
  return {
    segments: media.segments.map((segment) => ({ uri: segment.uri, duration: segment.duration })),
    ended: media.endlist,
  };
}
