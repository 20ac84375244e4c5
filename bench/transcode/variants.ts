/**
 * Candidate settings of the chunk encode, each an edit of the job `encodeChunk` runs (`pipeline.ts`), for
 * `BENCH_VARIANTS`. The service itself is the variant without an edit.
 */
import type { Rendition } from '../../contracts/storage.ts';
import type { FfmpegJob, FfmpegOutput } from '../../transcoder/media/job.ts';

export interface Variant {
  name: string;
  /** What it changes against the service, for the report. */
  summary: string;
  /** The edit of the service's job; none: `encodeChunk` itself. */
  edit?: (job: FfmpegJob) => FfmpegJob;
  /** False when segments hold fewer frames than the slot (repeated pictures dropped). */
  keepsFrameCount?: boolean;
}

type Edit = (job: FfmpegJob) => FfmpegJob;

/** The rendition an output writes, from its target (`segments/<rendition>/<name>.ts`), if it is a segment. */
function renditionOf(output: FfmpegOutput): Rendition | undefined {
  return /\/segments\/(\d+p)\/[^/]+\.ts$/.exec(output.target)?.[1] as Rendition | undefined;
}

/** Edits the options of the segment outputs (of `only` those renditions, when given). */
function segments(edit: (options: string[]) => string[], only?: Rendition[]): Edit {
  return (job) => ({
    ...job,
    outputs: job.outputs.map((output) => {
      const rendition = renditionOf(output);
      const chosen = rendition && (!only || only.includes(rendition));
      return chosen ? { ...output, options: edit(output.options) } : output;
    }),
  });
}

/** Replaces the value that follows `flag` in `options`. */
const setValue = (options: string[], flag: string, value: (old: string) => string) =>
  options.map((option, i) => (options[i - 1] === flag ? value(option) : option));

/** x264 options added to the service's (`-x264-params`), for every rendition or `only` some. */
export const x264 = (params: string, only?: Rendition[]): Edit =>
  segments((options) => setValue(options, '-x264-params', (old) => `${old}:${params}`), only);

/** Input options of the chunk (decoder options), added before its `-i`. */
const decoder =
  (...options: string[]): Edit =>
  (job) => ({
    ...job,
    inputs: job.inputs.map((input) => ({ ...input, options: [...input.options, ...options] })),
  });

/** The filter graph, edited. */
const graph =
  (edit: (graph: string) => string): Edit =>
  (job) => ({
    ...job,
    global: setValue(job.global, '-filter_complex', edit),
  });

/**
 * Each rendition still gets the slot's frames on the 10 fps grid (the service's `fps`, `tpad`, `trim`), but
 * a frame that only repeats the source picture before it is dropped before x264, and the segment keeps its
 * frames' own times (`-fps_mode vfr`): a repeat made by `fps` or `tpad` is a copy of the same decoded
 * frame, so it carries the same source packet position (`pos`). The slot's last frame is always kept, so
 * every segment's video reaches its end: hls.js gives a segment's last frame the length of the one before
 * it unless `stretchShortVideoTrack` is set, and a shorter video track leaves a hole before the next
 * segment that playback can stall at (hls.js src/remux/mp4-remuxer.ts). A player shows each picture until
 * the next, so what plays is the same pictures at the same instants.
 */
const dropRepeats: Edit = (job) =>
  segments((options) => ['-fps_mode', 'vfr', ...options])(
    graph((g) =>
      g.replace(
        /(\[seg\d+\]\S*?trim=end_frame=(\d+))(\[v\d+\])/g,
        (_, chain: string, frames: string, label: string) =>
          `${chain},select='if(eq(n\\,${Number(frames) - 1})+not(eq(pos\\,ld(0)))\\,st(0\\,pos)*0+1\\,0)'${label}`,
      ),
    )(job),
  );

/**
 * Each chunk's last picture held to the end of its slot. The `fps` filter drops the last frame it is
 * given, which has no duration: the chunk's last change is never shown (its previous picture is held
 * instead), and a chunk of a whole idle stretch — a single frame, as Chrome sends no frame while nothing
 * changes — yields no frame at all, which `encodeChunk` fails as undecodable. A tenth of a second of
 * clones of the last frame before every `fps` gives it a duration.
 */
const holdLast = graph((g) => g.replace(/fps=/g, 'tpad=stop_mode=clone:stop_duration=0.1,fps='));

const pipe =
  (...edits: Edit[]): Edit =>
  (job) =>
    edits.reduce((edited, edit) => edit(edited), job);

const LOWER: Rendition[] = ['360p', '480p'];

/** The last picture held and repeats dropped, plus `more`: segments then hold fewer frames than the slot. */
const vfr = (name: string, summary: string, ...more: Edit[]): Variant => ({
  name,
  summary,
  edit: pipe(holdLast, dropRepeats, ...more),
  keepsFrameCount: false,
});

/** Every variant the benchmark knows, the service first. */
export const VARIANTS: Variant[] = [
  { name: 'service', summary: 'the service as it is: 10 fps constant rate, x264 veryfast + me=dia:subme=1' },
  {
    name: 'service-hold',
    summary: 'the service with each chunk’s last picture held (constant rate kept)',
    edit: holdLast,
  },
  vfr('vfr', 'service-hold + repeated pictures not encoded (10 fps grid kept, segments VFR)'),
  vfr('vfr-subme0', 'vfr + x264 subme=0 (full-pixel motion only)', x264('subme=0')),
  vfr('vfr-nodeblock', 'vfr + x264 no-deblock', x264('no-deblock=1')),
  vfr('vfr-fast', 'vfr + x264 subme=0:no-deblock', x264('subme=0:no-deblock=1')),
  vfr(
    'vfr-fast-noloop',
    'vfr-fast + VP8 decoded without its loop filter (-skip_loop_filter all)',
    x264('subme=0:no-deblock=1'),
    decoder('-skip_loop_filter', 'all'),
  ),
  vfr(
    'vfr-lower-fast',
    'vfr + x264 subme=0:no-deblock on 360p and 480p only',
    x264('subme=0:no-deblock=1', LOWER),
  ),
  vfr('vfr-dec2', 'vfr + VP8 decoded on 2 threads', (job) => ({
    ...job,
    inputs: job.inputs.map((input) => ({
      ...input,
      options: setValue(input.options, '-threads', () => '2'),
    })),
  })),
  vfr(
    'vfr-fast-crf24',
    'vfr-fast at CRF 24 (the service: 23)',
    x264('subme=0:no-deblock=1'),
    segments((options) => setValue(options, '-crf', () => '24')),
  ),
  vfr('vfr-nombtree', 'vfr + x264 no-mbtree (superfast’s rate control)', x264('no-mbtree=1')),
];

/** The variant called `name`; throws naming the known ones otherwise. */
export function variantNamed(name: string): Variant {
  const variant = VARIANTS.find((v) => v.name === name);
  if (!variant) throw new Error(`no variant ${name}; known: ${VARIANTS.map((v) => v.name).join(', ')}`);
  return variant;
}
