/**
 * The whole recording as one MP4 (the seed's `stitched_video/`): the segments of one rendition copied,
 * not re-encoded, so it costs little more than reading them.
 */
import { readFile, rm } from 'node:fs/promises';
import { z } from 'zod';
import { readMediaPlaylist } from '../playlists/hls.ts';
import { COMMON_GLOBAL, type FfmpegJob } from './job.ts';
import { type MediaRunner, runTimeoutMs } from './runner.ts';

/** The length a VOD playlist declares: the sum of its EXTINF durations. */
async function playlistDuration(playlist: string): Promise<number> {
  const parsed = readMediaPlaylist(await readFile(playlist, 'utf8'));
  if (!parsed) throw new TypeError(`${playlist} is not a media playlist; give one rendition's`);
  return parsed.segments.reduce((sum, segment) => sum + segment.duration, 0);
}

/**
 * The whole timeline as one MP4 without re-encoding. ADTS AAC from MPEG-TS needs its headers turned into
 * an AudioSpecificConfig for MP4 (`aac_adtstoasc`); `+faststart` moves the index to the front so a
 * browser can play it while downloading.
 */
export function stitchJob(o: { playlist: string; target: string }): FfmpegJob {
  return {
    global: [...COMMON_GLOBAL],
    inputs: [{ options: [], source: o.playlist }],
    outputs: [
      {
        options: [
          '-map',
          '0:v:0',
          '-map',
          '0:a:0?',
          '-c',
          'copy',
          '-bsf:a',
          'aac_adtstoasc',
          '-movflags',
          '+faststart',
          '-f',
          'mp4',
        ],
        target: o.target,
      },
    ],
  };
}

const FormatProbe = z.object({ format: z.object({ duration: z.coerce.number() }) });

/**
 * Copies the segments of a local VOD playlist (one rendition, with `#EXT-X-ENDLIST`: a live playlist
 * would be polled for more) into `output`, an MP4 with its index first; a run that fails leaves no file
 * behind. Resolves with the MP4's duration as ffprobe reads it.
 */
export async function stitch(
  media: MediaRunner,
  o: {
    playlist: string;
    output: string;
    signal?: AbortSignal;
    onProgress?: (fraction: number) => void;
  },
): Promise<{ output: string; durationSec: number }> {
  const total = await playlistDuration(o.playlist);
  try {
    await media.ffmpeg(stitchJob({ playlist: o.playlist, target: o.output }), {
      signal: o.signal,
      // A copy: far faster than realtime, so a second per second of recording is a generous limit.
      timeoutMs: runTimeoutMs(total, 1000),
      onProgress:
        o.onProgress && total > 0
          ? ({ seconds }) => seconds !== null && o.onProgress?.(Math.min(1, seconds / total))
          : undefined,
    });
  } catch (error) {
    await rm(o.output, { force: true });
    throw error;
  }
  const probe = await media.ffprobe(
    ['-hide_banner', '-v', 'error', '-show_entries', 'format=duration', '-of', 'json', o.output],
    { signal: o.signal, timeoutMs: 60_000 },
  );
  const parsed = FormatProbe.safeParse(JSON.parse(probe.stdout || '{}'));
  if (probe.exitCode !== 0 || !parsed.success) {
    throw new Error(`cannot read the duration of ${o.output}: ${probe.stderr.trim()}`);
  }
  return { output: o.output, durationSec: parsed.data.format.duration };
}
