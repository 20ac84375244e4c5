/**
 * What is in a chunk, from its headers and first packets: streams, picture size, duration. A chunk that
 * is not a video, is too large, or fails already there, is undecodable. Decoding is left to the encode,
 * which fails on any error it meets (`verify` in `runner.ts`): a truncated upload parses and then ends
 * mid-cluster, and only reading to its end shows that. Decoding it here as well cost a tenth of the CPU
 * of processing a chunk.
 */
import { z } from 'zod';
import type { SourceColour } from './colour.ts';
import { chunkContainer, chunkInputOptions } from './input.ts';
import type { MediaRunner } from './runner.ts';

/** What a chunk holds; its colours (`SourceColour`) as far as its video stream declares them. */
export interface ChunkProbe extends SourceColour {
  decodable: boolean;
  /** Why not decodable: ffprobe's first error, another container, no video stream, a picture too large. */
  reason?: string;
  /** Container duration (MediaRecorder: the last frame's time), else the end of the last video packet; 0 if unknown. */
  durationSec: number;
  width: number;
  height: number;
  hasAudio: boolean;
  /** ffmpeg's codec name of the video stream (`vp8`, `vp9`, `h264`, `av1`), '' when there is none. */
  videoCodec: string;
  /** First timestamp of the video and of the audio stream, seconds; absent when unknown or no such stream. */
  videoStartSec?: number;
  audioStartSec?: number;
}

/** Enough for a one-minute 1080p chunk (the longest a chunk name admits) on a busy machine. */
export const PROBE_TIMEOUT_MS = 60_000;

/**
 * The largest picture a chunk may have: a 4K screen (4096 × 2304 either way up). Beyond it one chunk
 * would cost many times a normal one to decode and scale.
 */
export const MAX_PICTURE = { longSide: 4096, shortSide: 2304 } as const;

const ProbeOutput = z.object({
  streams: z
    .array(
      z.object({
        index: z.number(),
        codec_type: z.string().optional(),
        codec_name: z.string().optional(),
        width: z.number().optional(),
        height: z.number().optional(),
        start_time: z.coerce.number().optional(),
        color_range: z.string().optional(),
        color_space: z.string().optional(),
      }),
    )
    .default([]),
  format: z.object({ duration: z.coerce.number().optional(), format_name: z.string().optional() }).optional(),
});
type ProbeOutput = z.infer<typeof ProbeOutput>;

/**
 * ffprobe arguments that read a chunk's headers (and as many packets as finding its streams takes) and
 * report its container, streams with their first timestamps and declared colours, and the container
 * duration. Packets are not listed: a 100 MiB upload of tiny packets would overflow any output buffer.
 * Pure.
 */
export function probeArgs(file: string): string[] {
  return [
    '-hide_banner',
    '-v',
    'error',
    '-show_entries',
    'stream=index,codec_type,codec_name,width,height,start_time,color_range,color_space:format=duration,format_name',
    '-of',
    'json',
    ...chunkInputOptions(file),
    file,
  ];
}

/**
 * ffprobe arguments printing `entries` (`-show_entries`) of the first video stream of `file` as `format`,
 * the file opened with `inputOptions`. Pure.
 */
export function firstVideoArgs(
  entries: string,
  format: 'json' | 'csv=p=0',
  file: string,
  inputOptions: readonly string[] = [],
): string[] {
  return [
    '-hide_banner',
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-show_entries',
    entries,
    '-of',
    format,
    ...inputOptions,
    file,
  ];
}

/** ffprobe arguments listing the times of the first video stream's packets, one short CSV line each. Pure. */
export function videoPacketArgs(file: string): string[] {
  return firstVideoArgs('packet=pts_time,duration_time', 'csv=p=0', file, chunkInputOptions(file));
}

/**
 * Probes a local chunk's headers under a timeout, read as the container its extension names (`input.ts`). A garbage, empty or oversized chunk, or one cut short
 * inside its first packets, comes back `decodable: false` with a reason. Rejects when aborted through `signal`, on the
 * timeout (which says as much about a busy machine as about the chunk, so it is worth another attempt),
 * and with an `FfmpegError` when ffprobe fails in a way its output cannot explain.
 */
export async function probeChunk(
  media: MediaRunner,
  file: string,
  opts: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<ChunkProbe> {
  const run = { signal: opts.signal, timeoutMs: opts.timeoutMs ?? PROBE_TIMEOUT_MS };
  const decoded = await media.ffprobe(probeArgs(file), run);
  const probe = interpretProbe(
    decoded.exitCode,
    decoded.stdout,
    decoded.stderr,
    chunkContainer(file).formatName,
  );
  if (!probe.decodable || probe.durationSec > 0) return probe;
  // No container duration (e.g. a WebM without a Duration element): the end of the last video packet.
  const packets = await media.ffprobe(videoPacketArgs(file), run);
  return { ...probe, durationSec: lastPacketEnd(packets.stdout) };
}

const NOTHING: Omit<ChunkProbe, 'decodable' | 'reason'> = {
  durationSec: 0,
  width: 0,
  height: 0,
  hasAudio: false,
  videoCodec: '',
};

/** The probe of a chunk that does not decode, with `reason` and whatever was `found` of it. */
export function undecodableProbe(reason: string, found: Partial<ChunkProbe> = {}): ChunkProbe {
  return { ...NOTHING, ...found, decodable: false, reason };
}

/**
 * Turns ffprobe's exit code, JSON and stderr (at `-v error`) into a verdict; with `formatName`, a chunk
 * whose container is another than the one its name stands for is undecodable (`probeChunk` always
 * passes it; the forced demuxer should make this never happen). Pure.
 */
export function interpretProbe(
  exitCode: number,
  stdout: string,
  stderr: string,
  formatName?: string,
): ChunkProbe {
  const firstError = stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .find((l) => l !== '');
  let parsed: ProbeOutput;
  try {
    parsed = ProbeOutput.parse(JSON.parse(stdout || '{}'));
  } catch {
    return undecodableProbe(firstError ?? `ffprobe wrote unreadable output (exit ${exitCode})`);
  }
  const video = parsed.streams.find((s) => s.codec_type === 'video');
  const audio = parsed.streams.find((s) => s.codec_type === 'audio');
  const found: Omit<ChunkProbe, 'decodable' | 'reason'> = {
    durationSec: parsed.format?.duration ?? 0,
    width: video?.width ?? 0,
    height: video?.height ?? 0,
    hasAudio: audio !== undefined,
    videoCodec: video?.codec_name ?? '',
    ...(video?.start_time === undefined ? {} : { videoStartSec: video.start_time }),
    ...(audio?.start_time === undefined ? {} : { audioStartSec: audio.start_time }),
    // ffprobe says `unknown` for a colour the stream does not declare.
    ...(isDeclared(video?.color_range) ? { colorRange: video.color_range } : {}),
    ...(isDeclared(video?.color_space) ? { colorSpace: video.color_space } : {}),
  };
  if (exitCode !== 0) return undecodableProbe(firstError ?? `ffprobe exited with code ${exitCode}`, found);
  if (firstError) return undecodableProbe(firstError, found);
  const container = parsed.format?.format_name;
  if (formatName !== undefined && container !== formatName) {
    return undecodableProbe(
      `container ${container ?? 'unknown'}, not the ${formatName} its name says`,
      found,
    );
  }
  if (!video) return undecodableProbe('no video stream', found);
  if (found.width === 0 || found.height === 0)
    return undecodableProbe('no picture size in the video stream', found);
  const [short, long] = [found.width, found.height].sort((a, b) => a - b) as [number, number];
  if (long > MAX_PICTURE.longSide || short > MAX_PICTURE.shortSide) {
    return undecodableProbe(
      `picture ${found.width}×${found.height} is larger than ${MAX_PICTURE.longSide}×${MAX_PICTURE.shortSide}`,
      found,
    );
  }
  return { ...found, decodable: true };
}

function isDeclared(colour: string | undefined): colour is string {
  return colour !== undefined && colour !== 'unknown';
}

/** The end of the last packet in ffprobe's `pts_time,duration_time` CSV lines; 0 when there is none. Pure. */
export function lastPacketEnd(csv: string): number {
  let end = 0;
  for (const line of csv.split('\n')) {
    const [pts, duration] = line.split(',');
    const start = Number(pts);
    if (pts === undefined || pts === '' || !Number.isFinite(start)) continue;
    const length = Number(duration);
    end = Math.max(end, start + (Number.isFinite(length) ? length : 0));
  }
  return end;
}

/**
 * Why a decodable chunk still cannot fill a slot of `slotSec` from its time 0: a stream that starts after
 * the slot ends would have ffmpeg generate (video) or buffer (audio) everything up to its start. Pure.
 */
export function lateStream(probe: ChunkProbe, slotSec: number): string | null {
  for (const [kind, start] of [
    ['video', probe.videoStartSec],
    ['audio', probe.audioStartSec],
  ] as const) {
    if (start !== undefined && start >= slotSec) {
      return `${kind} starts at ${start} s, after the chunk's ${slotSec} s slot ends`;
    }
  }
  return null;
}
