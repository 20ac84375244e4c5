/**
 * Is a chunk usable, and what is in it. "Decodable" means every frame decoded without an error, not
 * merely that the container parsed: a truncated upload parses and then ends mid-cluster.
 */
import { z } from 'zod';
import { probeArgs } from './args.ts';
import { FfmpegError, type MediaLog, runFfprobe } from './ffmpeg.ts';

export interface ChunkProbe {
  decodable: boolean;
  /** Why not decodable: ffprobe's first error, a missing video stream, or a timeout. */
  reason?: string;
  /** Container duration (MediaRecorder: the last frame's time), else the end of the last packet; 0 if unknown. */
  durationSec: number;
  width: number;
  height: number;
  hasAudio: boolean;
  /** ffmpeg's codec name of the video stream (`vp8`, `vp9`, `h264`, `av1`), '' when there is none. */
  videoCodec: string;
  /** Video frames decoded. */
  videoFrames: number;
}

/** Enough for a ten-minute 1080p chunk (the longest a chunk name admits) on a busy machine. */
export const PROBE_TIMEOUT_MS = 60_000;

const ProbeOutput = z.object({
  streams: z
    .array(
      z.object({
        index: z.number(),
        codec_type: z.string().optional(),
        codec_name: z.string().optional(),
        width: z.number().optional(),
        height: z.number().optional(),
        nb_read_frames: z.coerce.number().optional(),
      }),
    )
    .default([]),
  format: z.object({ duration: z.coerce.number().optional() }).optional(),
  packets: z
    .array(
      z.object({
        stream_index: z.number(),
        pts_time: z.coerce.number().optional(),
        duration_time: z.coerce.number().optional(),
      }),
    )
    .default([]),
});
type ProbeOutput = z.infer<typeof ProbeOutput>;

/**
 * Probes a local chunk by decoding all of it under a timeout. Never throws for a bad file: a truncated,
 * garbage or empty chunk, or one whose decode hangs, comes back `decodable: false` with a reason.
 * Rejects only when aborted through `signal` or when ffprobe itself cannot run.
 */
export async function probeChunk(
  file: string,
  opts: { signal?: AbortSignal; timeoutMs?: number; log?: MediaLog } = {},
): Promise<ChunkProbe> {
  let run: Awaited<ReturnType<typeof runFfprobe>>;
  try {
    run = await runFfprobe(probeArgs(file), {
      signal: opts.signal,
      timeoutMs: opts.timeoutMs ?? PROBE_TIMEOUT_MS,
      log: opts.log,
    });
  } catch (error) {
    if (error instanceof FfmpegError && error.timedOut) return undecodable(error.message);
    throw error;
  }
  return interpretProbe(run.exitCode, run.stdout, run.stderr);
}

const NOTHING: Omit<ChunkProbe, 'decodable' | 'reason'> = {
  durationSec: 0,
  width: 0,
  height: 0,
  hasAudio: false,
  videoCodec: '',
  videoFrames: 0,
};

function undecodable(reason: string, found: Partial<ChunkProbe> = {}): ChunkProbe {
  return { ...NOTHING, ...found, decodable: false, reason };
}

/** Turns ffprobe's exit code, JSON and stderr (at `-v error`) into a verdict. Pure. */
export function interpretProbe(exitCode: number, stdout: string, stderr: string): ChunkProbe {
  const firstError = stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .find((l) => l !== '');
  let parsed: ProbeOutput;
  try {
    parsed = ProbeOutput.parse(JSON.parse(stdout || '{}'));
  } catch {
    return undecodable(firstError ?? `ffprobe wrote unreadable output (exit ${exitCode})`);
  }
  const video = parsed.streams.find((s) => s.codec_type === 'video');
  const found: Omit<ChunkProbe, 'decodable' | 'reason'> = {
    durationSec: parsed.format?.duration ?? lastPacketEnd(parsed, video?.index),
    width: video?.width ?? 0,
    height: video?.height ?? 0,
    hasAudio: parsed.streams.some((s) => s.codec_type === 'audio'),
    videoCodec: video?.codec_name ?? '',
    videoFrames: video?.nb_read_frames ?? 0,
  };
  if (exitCode !== 0) return undecodable(firstError ?? `ffprobe exited with code ${exitCode}`, found);
  if (firstError) return undecodable(firstError, found);
  if (!video) return undecodable('no video stream', found);
  if (found.videoFrames === 0 || found.width === 0 || found.height === 0) {
    return undecodable('no video frame decoded', found);
  }
  return { ...found, decodable: true };
}

function lastPacketEnd(parsed: ProbeOutput, videoIndex: number | undefined): number {
  let end = 0;
  for (const p of parsed.packets) {
    if (p.stream_index === videoIndex && p.pts_time !== undefined) {
      end = Math.max(end, p.pts_time + (p.duration_time ?? 0));
    }
  }
  return end;
}
