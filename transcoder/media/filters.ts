/**
 * Pieces of ffmpeg filter graphs that the builders assemble: scaling (to a size, through a cascade), the
 * constant-rate fill of a slot, and the audio of a segment on the AAC grid. Pure strings.
 */
import { AUDIO, type Resolution } from './renditions.ts';
import type { SlotTiming } from './timing.ts';

/**
 * swscale's bilinear, which widens its kernel when reducing, so text stays clean at the ≤ 1.5× steps of
 * the cascade, for less CPU than the default bicubic (bench/RESULTS.md, "Encoder and pipeline settings").
 */
export const SCALE_FLAGS = 'bilinear';

/** Aspect ratios closer than this are the same picture rounded to even sizes: scale, do not letterbox. */
const SAME_ASPECT = 0.01;

/**
 * Scales a picture of size `from` to exactly `to`, with the scale filter's `options` (`a=b:c=d`). When
 * the aspect ratios really differ (a session's sizes imposed on a chunk of another shape) the picture is
 * fitted inside and letterboxed, not stretched.
 */
export function scaleTo(from: Resolution, to: Resolution, options?: string): string {
  const withFlags = options ? `:${options}` : '';
  const ratio = from.width / from.height / (to.width / to.height);
  if (Math.abs(ratio - 1) <= SAME_ASPECT) return `scale=${to.width}:${to.height}${withFlags},setsar=1`;
  // The fitted size as expressions of the input's (so a picture resized mid-chunk is fitted anew), even
  // and never below 2: force_original_aspect_ratio rounds a very wide picture's height down to 0, which
  // the scaler refuses.
  const fitted = (side: 'iw' | 'ih') => `'max(2,2*trunc(min(${to.width}/iw,${to.height}/ih)*${side}/2))'`;
  return `scale=w=${fitted('iw')}:h=${fitted('ih')}${withFlags},pad=${to.width}:${to.height}:-1:-1,setsar=1`;
}

/** One scaler in a cascade: its output size, and the scaler it reads from (-1: the source). */
export interface ScaleStep {
  size: Resolution;
  from: number;
}

/**
 * Scalers for a set of output sizes: each distinct size once, largest first, each made from the
 * smallest already-made picture at least as large in both dimensions. Scaling 1080p → 720p → 480p → 360p
 * costs a third of scaling 1080p three times, and every step stays a ≤ 1.5× reduction.
 */
export function scaleCascade(sizes: Resolution[]): ScaleStep[] {
  const distinct = [...new Map(sizes.map((s) => [`${s.width}x${s.height}`, s])).values()].sort(
    (a, b) => b.width * b.height - a.width * a.height,
  );
  return distinct.map((size, i) => {
    let from = -1;
    for (let j = 0; j < i; j++) {
      const made = distinct[j];
      if (made && made.width >= size.width && made.height >= size.height) from = j;
    }
    return { size, from };
  });
}

export function labels(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${i}`);
}

export function splitInto(filter: 'split' | 'asplit', outs: string[]): string {
  return `${filter}=${outs.length}${outs.map((l) => `[${l}]`).join('')}`;
}

/** The audio of a segment: `source` resampled, padded and cut to the slot's place on the AAC grid. */
export function segmentAudio(source: string, timing: SlotTiming, outs: string[]): string {
  const { skipSamples, sampleCount } = timing.audio;
  return (
    `${source}aformat=sample_fmts=fltp:sample_rates=${AUDIO.sampleRate}:channel_layouts=mono,apad,` +
    `atrim=start_sample=${skipSamples}:end_sample=${skipSamples + sampleCount},${splitInto('asplit', outs)}`
  );
}

/** Silence as a filter-graph source: no extra input, same format as a chunk's converted audio. */
export const SILENCE = `anullsrc=r=${AUDIO.sampleRate}:cl=mono,`;
/**
 * A chunk's audio from its time 0, gaps and a late start filled with silence by timestamp (`async`), so
 * sample n is at n / rate seconds and stays in step with the video's time 0. Cut first at the slot's end
 * (plus a second for the AAC grid): audio far past it would otherwise be resampled, and a stream starting
 * far past it would have `async` buffer silence up to its start.
 */
export function chunkAudio(timing: SlotTiming): string {
  return `[0:a:0]atrim=end=${(timing.durationSec + 1).toFixed(6)},aresample=${AUDIO.sampleRate}:async=1:first_pts=0,`;
}

/**
 * Constant `fps` from time 0, the last picture held, exactly `count` frames. By default the fps filter
 * picks for each output time the last picture before half a period later (rounding to nearest); `up`
 * picks the last one at or before it, i.e. what was on screen at that instant — what a frame named by
 * its time must show. The fps filter never emits the last picture it is given, which has no duration
 * (libavfilter/vf_fps.c); a browser's screen chunk ends at its last change, and a chunk of an idle screen
 * holds one picture only, which then gave no frame at all. So the last picture is first held for one
 * output period.
 */
export function fillSlot(fps: number, count: number, round?: 'up'): string {
  const rounding = round ? `:round=${round}` : '';
  return (
    `tpad=stop_mode=clone:stop_duration=${(1 / fps).toFixed(6)},fps=${fps}:start_time=0${rounding},` +
    `tpad=stop_mode=clone:stop=${count},trim=end_frame=${count}`
  );
}
