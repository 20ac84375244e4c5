/**
 * Evidence clips cut from a rendition's HLS segments without re-encoding. Every segment starts with a
 * keyframe (one segment per chunk or placeholder, each encoded alone), so a copy can start only at a
 * segment boundary: the clip starts at the boundary at or before the range's start and ends at the
 * range's end (a copy can stop at any packet). Its first frame is the picture at that boundary, and it
 * lasts the range plus at most one segment (the keyframe spacing, about one chunk: 5 s from the recorder).
 *
 * Starting exactly at the range's start would mean re-encoding the first partial segment and joining it
 * to copied ones: two H.264 streams from different encoder runs in one MP4 track, whose parameter sets
 * differ (an `avc1` track carries one set), so it is not done here.
 */
import { rm } from 'node:fs/promises';
import { COMMON_GLOBAL, type FfmpegJob } from './job.ts';
import { type MediaRunner, runTimeoutMs } from './runner.ts';

/** A segment of a VOD media playlist: its URI as listed and its EXTINF duration (s). */
export interface PlaylistSegment {
  uri: string;
  duration: number;
}

/** A segment chosen for a clip, placed in server time (Unix ms). */
export interface ClipSegment {
  uri: string;
  startMs: number;
  durationMs: number;
}

/** Which segments a clip copies and what it then covers, in server time. */
export interface ClipPlan {
  segments: ClipSegment[];
  /** The clip's first frame: the boundary of the segment holding the range's start (at or before it). */
  startMs: number;
  /** The range's end, or the recording's if the range runs past it. */
  endMs: number;
  /** What the clip lasts: `endMs − startMs`, in seconds (the output's `-t`). */
  durationSec: number;
}

/**
 * The segments covering `[range.startMs, range.endMs)` of a playlist whose first segment starts at
 * `playlistStartMs`, from the one holding the range's start (whose boundary is then at or before it)
 * through the last one starting before the range's end. A range starting before the playlist (in an
 * asset's lead-in) starts at its first segment; one running past its end stops there. Throws a
 * RangeError when no recorded time lies in the range. Pure.
 */
export function planClip(
  segments: readonly PlaylistSegment[],
  playlistStartMs: number,
  range: { startMs: number; endMs: number },
): ClipPlan {
  if (!(range.endMs > range.startMs)) throw new RangeError('the range ends before it starts');
  const placed: ClipSegment[] = [];
  let at = playlistStartMs;
  for (const segment of segments) {
    const durationMs = segment.duration * 1000;
    placed.push({ uri: segment.uri, startMs: at, durationMs });
    at += durationMs;
  }
  const playlistEndMs = at;
  if (range.endMs <= playlistStartMs || range.startMs >= playlistEndMs || placed.length === 0)
    throw new RangeError(
      `the range ${range.startMs}–${range.endMs} lies outside the recording ${playlistStartMs}–${playlistEndMs}`,
    );
  const from = Math.max(range.startMs, playlistStartMs);
  const endMs = Math.min(range.endMs, playlistEndMs);
  const chosen = placed.filter(
    (segment) => segment.startMs + segment.durationMs > from && segment.startMs < endMs,
  );
  const first = chosen[0];
  if (!first) throw new RangeError('no segment covers the range');
  return { segments: chosen, startMs: first.startMs, endMs, durationSec: (endMs - first.startMs) / 1000 };
}

/** What a clip says about itself in its MP4 metadata. */
export interface ClipFacts {
  sessionId: string;
  asset: string;
  rendition: string;
  /** The range asked for, server time. */
  requested: { startMs: number; endMs: number };
  plan: Pick<ClipPlan, 'startMs' | 'endMs'>;
}

const iso = (ms: number) => new Date(Math.round(ms)).toISOString();

/**
 * `title`, `comment` and `creation_time` of the clip (the MP4 muxer writes them as `©nam`, `©cmt` and the
 * `mvhd` creation time). `creation_time` is the server time of the clip's first frame, when that picture
 * was recorded; the comment gives the session, the range asked for and the range the clip covers. Pure.
 */
export function clipMetadata(facts: ClipFacts): Record<'title' | 'comment' | 'creation_time', string> {
  return {
    title: `Evidence clip of session ${facts.sessionId}`,
    comment: [
      `session ${facts.sessionId}`,
      `asset ${facts.asset} ${facts.rendition}`,
      `requested ${iso(facts.requested.startMs)} to ${iso(facts.requested.endMs)} server time`,
      `clip ${iso(facts.plan.startMs)} to ${iso(facts.plan.endMs)} server time, from the keyframe at or before the requested start`,
    ].join('; '),
    creation_time: iso(facts.plan.startMs),
  };
}

/**
 * The ffmpeg run that copies a local VOD playlist of the chosen segments into an MP4 of `durationSec`,
 * with `metadata` and nothing carried over from the input's own, its index first. Pure.
 */
export function clipJob(o: {
  playlist: string;
  target: string;
  durationSec: number;
  metadata: Record<string, string>;
}): FfmpegJob {
  return {
    global: [...COMMON_GLOBAL],
    inputs: [{ options: [], source: o.playlist }],
    outputs: [
      {
        options: [
          ...['-map', '0:v:0', '-map', '0:a:0?', '-c', 'copy', '-bsf:a', 'aac_adtstoasc'],
          ...['-t', o.durationSec.toFixed(3), '-map_metadata', '-1'],
          ...Object.entries(o.metadata).flatMap(([key, value]) => ['-metadata', `${key}=${value}`]),
          ...['-movflags', '+faststart', '-f', 'mp4'],
        ],
        target: o.target,
      },
    ],
  };
}

/** Writes the clip; a run that fails leaves no file behind. */
export async function cutClip(
  media: MediaRunner,
  o: Parameters<typeof clipJob>[0] & { signal?: AbortSignal },
): Promise<void> {
  try {
    // A copy, far faster than realtime: a second per second of clip is a generous limit.
    await media.ffmpeg(clipJob(o), { signal: o.signal, timeoutMs: runTimeoutMs(o.durationSec, 1000) });
  } catch (error) {
    await rm(o.target, { force: true });
    throw error;
  }
}
