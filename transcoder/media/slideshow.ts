/**
 * A timed slideshow of screenshots as one H.264 MP4, for sessions of the previous recorder, which uploaded
 * screenshots only. Each upload is first decoded alone into a picture of the slideshow's size (a PNG of
 * ours), read as the image its name says (the demuxer forced and admitted alone, local files only, as
 * `input.ts` does for chunks); then one run plays our PNGs through an ffconcat list of ours, each for its
 * whole number of frames, into limited-range BT.709 4:2:0 like every segment (`colour.ts`).
 */
import { writeFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { SEGMENT_COLOUR } from './colour.ts';
import { COMMON_GLOBAL, type FfmpegJob } from './job.ts';
import { type MediaRunner, runTimeoutMs } from './runner.ts';

/** Demuxers of the image types screenshots are uploaded in, by extension. */
const IMAGE_DEMUXERS: Readonly<Record<string, string>> = { '.jpg': 'jpeg_pipe', '.webp': 'webp_pipe' };

export interface Size {
  width: number;
  height: number;
}

/** Input options of the run that reads the screenshot `file`. Pure. */
export function imageInputOptions(file: string): string[] {
  const demuxer = IMAGE_DEMUXERS[extname(file)];
  if (!demuxer) throw new RangeError(`${file} is not named as a screenshot (.jpg, .webp)`);
  return ['-f', demuxer, '-format_whitelist', demuxer, '-protocol_whitelist', 'file'];
}

/** The picture fitted into `size`, centred on black. */
const fitInto = (size: Size) =>
  `scale=${size.width}:${size.height}:force_original_aspect_ratio=decrease,pad=${size.width}:${size.height}:(ow-iw)/2:(oh-ih)/2:black`;

/** Decodes one screenshot into a PNG of `size`; rejects (an `FfmpegError`) when it does not decode. */
export async function normalizeImage(
  media: MediaRunner,
  o: { source: string; target: string; size: Size; signal?: AbortSignal },
) {
  const job: FfmpegJob = {
    global: [...COMMON_GLOBAL],
    inputs: [{ options: imageInputOptions(o.source), source: o.source }],
    outputs: [
      {
        options: ['-vf', `${fitInto(o.size)},format=rgb24`, '-frames:v', '1', '-f', 'image2'],
        target: o.target,
      },
    ],
  };
  await media.ffmpeg(job, { signal: o.signal, timeoutMs: runTimeoutMs(1), verify: { frames: 1 } });
}

/** A black PNG of `size`, for the stretches no screenshot shows. */
export async function blackImage(
  media: MediaRunner,
  o: { target: string; size: Size; signal?: AbortSignal },
) {
  const job: FfmpegJob = {
    global: [...COMMON_GLOBAL],
    inputs: [{ options: ['-f', 'lavfi'], source: `color=black:s=${o.size.width}x${o.size.height}` }],
    outputs: [{ options: ['-vf', 'format=rgb24', '-frames:v', '1', '-f', 'image2'], target: o.target }],
  };
  await media.ffmpeg(job, { signal: o.signal, timeoutMs: runTimeoutMs(1) });
}

/**
 * Encodes `slides` (our PNGs, each shown for `frames` frames) at `fps` into the MP4 `output`, exactly the
 * sum of their frames long. The ffconcat list names the last picture twice: the concat demuxer gives the
 * last entry no length of its own.
 */
export async function encodeSlideshow(
  media: MediaRunner,
  o: {
    slides: Array<{ file: string; frames: number }>;
    fps: number;
    list: string;
    output: string;
    signal?: AbortSignal;
  },
) {
  const last = o.slides.at(-1);
  if (!last) throw new RangeError('a slideshow needs at least one picture');
  const entries = o.slides.map((slide) => `file '${basename(slide.file)}'\nduration ${slide.frames / o.fps}`);
  await writeFile(o.list, `ffconcat version 1.0\n${entries.join('\n')}\nfile '${basename(last.file)}'\n`);
  const frames = o.slides.reduce((sum, slide) => sum + slide.frames, 0);
  const job: FfmpegJob = {
    global: [...COMMON_GLOBAL],
    inputs: [
      {
        options: [
          '-f',
          'concat',
          '-format_whitelist',
          'concat,image2,png_pipe',
          '-protocol_whitelist',
          'file',
        ],
        source: o.list,
      },
    ],
    outputs: [
      {
        options: [
          '-vf',
          `fps=${o.fps},scale=out_range=tv:out_color_matrix=bt709`,
          '-frames:v',
          String(frames),
          '-c:v',
          'libx264',
          '-preset',
          'veryfast',
          '-tune',
          'stillimage',
          '-x264-params',
          'threads=1:bframes=0',
          ...SEGMENT_COLOUR,
          '-movflags',
          '+faststart',
          '-f',
          'mp4',
        ],
        target: o.output,
      },
    ],
  };
  await media.ffmpeg(job, { signal: o.signal, timeoutMs: runTimeoutMs(frames / o.fps, 1000) });
  return { durationSec: frames / o.fps };
}
