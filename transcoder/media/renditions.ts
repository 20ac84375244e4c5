/**
 * The rendition ladder: what each HLS variant is encoded as, and what the master playlist says about it.
 * Pure data and arithmetic; the ffmpeg options that realise it are built in `encoder.ts`.
 */
import { RENDITIONS, type Rendition } from '../../contracts/storage.ts';

/** Audio every segment carries, chunk or placeholder, so variants stay uniform (AAC-LC, fixed layout). */
export const AUDIO = { sampleRate: 48_000, channels: 1, bitrateKbps: 64 } as const;

/**
 * Samples per AAC-LC frame. Segment audio is cut on this grid so consecutive segments neither overlap
 * nor leave gaps (ISO/IEC 14496-3: one raw_data_block decodes to 1024 samples).
 */
export const AAC_FRAME_SAMPLES = 1024;

export interface RenditionSpec {
  /** Output height in pixels; the width follows the source's aspect ratio, rounded to even. */
  height: number;
  /**
   * x264 VBV cap on top of CRF. CRF alone bounds no bitrate, and the encoder then declares no maximum
   * (libavcodec/libx264.c takes `max_bitrate` from x264's `i_vbv_max_bitrate`), while BANDWIDTH must be
   * the variant's peak segment bit rate (RFC 8216 §4.3.4.2): `bandwidth` below is computed from this cap.
   */
  maxrateKbps: number;
  bufsizeKbps: number;
  /** H.264 level written into the SPS with `-level:v`; the `avc1` CODECS suffix encodes it. */
  level: '3.0' | '3.1' | '4.0';
  /**
   * BANDWIDTH for the master playlist, bits per second: the VBV bound for a 5 s segment
   * (maxrate plus one buffer drained over the segment) plus audio, plus 10 % MPEG-TS overhead.
   * An upper estimate; a playlist writer that knows the real segment sizes can do better.
   */
  bandwidth: number;
  /** RFC 6381 CODECS value of what is encoded: High profile (0x64), no constraint flags, the level. */
  codecs: string;
}

const SEGMENT_SEC_FOR_BANDWIDTH = 5;
const TS_OVERHEAD = 1.1;

function spec(height: number, maxrateKbps: number, level: RenditionSpec['level']): RenditionSpec {
  const bufsizeKbps = maxrateKbps;
  const videoPeakKbps = maxrateKbps + bufsizeKbps / SEGMENT_SEC_FOR_BANDWIDTH;
  const levelIdc = Math.round(Number(level) * 10)
    .toString(16)
    .padStart(2, '0');
  return {
    height,
    maxrateKbps,
    bufsizeKbps,
    level,
    bandwidth: Math.ceil((videoPeakKbps + AUDIO.bitrateKbps) * TS_OVERHEAD) * 1000,
    codecs: `avc1.6400${levelIdc},mp4a.40.2`,
  };
}

/**
 * Levels leave room for wide screens: at 720p, level 4.0 (8192 macroblocks a frame) admits widths up to
 * 2912 px, i.e. a 4:1 screen; at 480p, 3.1 (3600) admits 1920 px; at 360p, 3.0 (1620) admits 1120 px
 * (ITU-T H.264 Table A-1).
 */
export const RENDITION_LADDER: Record<Rendition, RenditionSpec> = {
  '360p': spec(360, 800, '3.0'),
  '480p': spec(480, 1400, '3.1'),
  '720p': spec(720, 2800, '4.0'),
};

/**
 * The renditions a source of this height gets: every rung not taller than the source, and always the
 * lowest one, so a tiny source still plays (at its own height, never upscaled: see `renditionSize`).
 */
export function renditionsFor(sourceHeight: number): Rendition[] {
  const fitting = RENDITIONS.filter((r) => RENDITION_LADDER[r].height <= sourceHeight);
  return fitting.length > 0 ? fitting : [RENDITIONS[0]];
}

export interface Resolution {
  width: number;
  height: number;
}

function even(n: number): number {
  return Math.max(2, 2 * Math.round(n / 2));
}

/**
 * The frame size of a rendition for a source: the rendition's height (or the source's, if smaller,
 * so nothing is upscaled), the width keeping the source's aspect ratio; both even for yuv420p.
 */
export function renditionSize(rendition: Rendition, source: Resolution): Resolution {
  return fitHeight(RENDITION_LADDER[rendition].height, source);
}

/** `source` scaled to at most `maxHeight` rows, aspect kept, even dimensions. */
export function fitHeight(maxHeight: number, source: Resolution): Resolution {
  assertResolution(source);
  const height = even(Math.min(maxHeight, source.height));
  return { width: even((source.width * height) / source.height), height };
}

/** `source` scaled to at most `maxWidth` columns, aspect kept, even dimensions. */
export function fitWidth(maxWidth: number, source: Resolution): Resolution {
  assertResolution(source);
  const width = even(Math.min(maxWidth, source.width));
  return { width, height: even((source.height * width) / source.width) };
}

function assertResolution({ width, height }: Resolution): void {
  if (!(Number.isFinite(width) && Number.isFinite(height) && width > 0 && height > 0)) {
    throw new RangeError(`a resolution needs a positive width and height, got ${width}×${height}`);
  }
}
