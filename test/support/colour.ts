/**
 * Colour range in tests: full-range sources like a browser's (ffmpeg's own test sources are limited
 * range, so a pipeline fed only those never meets full range), and what produced segments declare and
 * hold, read with the real ffmpeg.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** What a video stream declares about its pictures, in ffprobe's words. */
export interface VideoColour {
  pix_fmt: string;
  color_range: string;
  color_space: string;
  color_transfer: string;
  color_primaries: string;
}

/** What every segment of every rendition declares: 4:2:0, limited range, BT.709 throughout. */
export const LIMITED_BT709: VideoColour = {
  pix_fmt: 'yuv420p',
  color_range: 'tv',
  color_space: 'bt709',
  color_transfer: 'bt709',
  color_primaries: 'bt709',
};

/** The colour description of `file`'s first video stream, as ffprobe reports it. */
export async function videoColour(file: string): Promise<VideoColour> {
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-show_entries',
    'stream=pix_fmt,color_range,color_space,color_transfer,color_primaries',
    '-of',
    'json',
    file,
  ]);
  const [stream] = JSON.parse(stdout).streams;
  return stream;
}

/** The mean luma (8-bit code value) of `file`'s first picture within `crop` (ffmpeg's crop filter's options). */
export async function meanLuma(file: string, crop = 'iw:ih'): Promise<number> {
  const { stderr } = await run('ffmpeg', [
    '-hide_banner',
    '-i',
    file,
    '-vf',
    `crop=${crop},signalstats,metadata=print:key=lavfi.signalstats.YAVG`,
    '-frames:v',
    '1',
    '-f',
    'null',
    '-',
  ]);
  const match = /lavfi\.signalstats\.YAVG=([\d.]+)/.exec(stderr);
  if (!match) throw new Error(`no luma read from ${file}`);
  return Number(match[1]);
}

/** Crops of the left (black) and right (white) halves of `makeBlackWhiteChunk`'s picture, clear of the edge. */
export const BLACK_HALF = 'iw/4:ih/2:iw/8:ih/4';
export const WHITE_HALF = 'iw/4:ih/2:iw*5/8:ih/4';

/**
 * A 2 s chunk whose picture is black on the left and white on the right, 1280 × 720 at 10 fps, declared
 * BT.709 and encoded at `range`: `pc` stores black as 0 and white as 255 (as Chrome's MediaRecorder
 * does), `tv` as 16 and 235. WebM holds VP8, MP4 holds H.264 (which decodes full range as `yuvj420p`).
 */
export async function makeBlackWhiteChunk(
  dir: string,
  o: { container: 'webm' | 'mp4'; range: 'pc' | 'tv' },
): Promise<string> {
  const file = join(dir, `black-white-${o.range}.${o.container}`);
  const codec =
    o.container === 'webm'
      ? ['-c:v', 'libvpx', '-deadline', 'realtime', '-b:v', '1M']
      : ['-c:v', 'libx264', '-preset', 'veryfast'];
  await run('ffmpeg', [
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    'color=black:s=1280x720:r=10:d=2,drawbox=x=iw/2:y=0:w=iw/2:h=ih:color=white:t=fill',
    '-vf',
    `scale=out_range=${o.range}:out_color_matrix=bt709,format=${o.range === 'pc' && o.container === 'mp4' ? 'yuvj420p' : 'yuv420p'}`,
    '-color_range',
    o.range,
    '-colorspace',
    'bt709',
    '-color_primaries',
    'bt709',
    '-color_trc',
    'bt709',
    ...codec,
    '-y',
    file,
  ]);
  return file;
}
