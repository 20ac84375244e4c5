/**
 * The colour of every segment: 4:2:0, limited range, BT.709, and declared so, whatever a chunk was
 * recorded in. Chrome's MediaRecorder declares its VP8 full range (`pc`) and BT.709 (measured on
 * Chromium's own recordings), while ffmpeg-made sources and the black placeholders are limited range.
 * Passed through as they came, libx264 wrote browser chunks as full range (`yuvj420p`, a BT.470BG matrix
 * tag) and placeholders as untagged limited range, so one rendition switched range between segments.
 * Limited-range BT.709 is what H.264 players assume for HD and what every placeholder already is.
 */

/** What a chunk's video stream declares about its colours, in ffprobe's words; absent when unknown. */
export interface SourceColour {
  /** `pc` (full) or `tv` (limited). */
  colorRange?: string;
  /** The YCbCr matrix: `bt709`, `smpte170m`, `bt470bg`, … */
  colorSpace?: string;
}

/**
 * Output options of every segment. libx264 writes them into the H.264 VUI (libavcodec/libx264.c:
 * `vui.b_fullrange`, `i_colorprim`, `i_transfer`, `i_colmatrix`), where a player of MPEG-TS, which has no
 * colour fields of its own, finds them.
 */
export const SEGMENT_COLOUR = [
  '-pix_fmt',
  'yuv420p',
  '-color_range',
  'tv',
  '-colorspace',
  'bt709',
  '-color_primaries',
  'bt709',
  '-color_trc',
  'bt709',
] as const;

/** The scale filter's `in_color_matrix` for each matrix ffprobe may report that is not BT.709. */
const SCALE_MATRIX: Readonly<Record<string, string>> = {
  smpte170m: 'bt601',
  bt470bg: 'bt601',
  fcc: 'fcc',
  smpte240m: 'smpte240m',
  bt2020nc: 'bt2020',
  bt2020c: 'bt2020',
};

/**
 * Options of the scale filter that reads a chunk's decoded pictures, converting from what the stream
 * declares to limited-range BT.709. Taken from the stream, not from the pictures: ffmpeg's VP8 decoder
 * tags its pictures BT.470BG, with a range from a bit of the VP8 frame header rather than from the
 * container (libavcodec/vp8.c), and Chrome's full-range chunks decode tagged `tv` (measured), so the
 * filter's `auto` would leave them full range.
 * Both ends are given, so the scaler converts even at the source's own size.
 *
 * A stream that declares no matrix is taken as BT.709, i.e. only tagged: converting it as BT.601 goes
 * through RGB in swscale, 45 % more CPU per chunk (bench/RESULTS.md, "Encoder and pipeline settings"),
 * and browsers declare theirs. A stream that declares no range is limited, the default of both VP8 and
 * H.264. Pure.
 */
export function toLimitedBt709(source: SourceColour): string {
  const range = source.colorRange === 'pc' ? 'pc' : 'tv';
  const matrix = SCALE_MATRIX[source.colorSpace ?? ''] ?? 'bt709';
  return `in_range=${range}:in_color_matrix=${matrix}:out_range=tv:out_color_matrix=bt709`;
}
