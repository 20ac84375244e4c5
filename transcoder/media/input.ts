/**
 * How every ffmpeg and ffprobe run opens an uploaded chunk. The bytes come from a candidate's browser,
 * so nothing in them may choose how they are read. Without `-f`, libavformat picks the demuxer that
 * best recognises the contents: an HLS playlist or an ffconcat list saved as `x.webm` is read as one,
 * and the files it lists are opened — on Debian's ffmpeg 5.1, a playlist uploaded under a chunk's name
 * had a `file://` video of the transcoder's host encoded into the session (measured). So a chunk is read
 * only as the container its name says:
 * - `-f` forces that container's demuxer, whatever the contents look like;
 * - `-format_whitelist` admits that demuxer alone, in any context a demuxer opens inside (libavformat
 *   copies the white lists into nested contexts, `ff_copy_whiteblacklists`), so no playlist or concat
 *   list is ever parsed;
 * - `-protocol_whitelist file` lets the run open the local file and nothing else: no network, `data:`,
 *   `crypto:` or `subfile:`.
 * Neither demuxer opens another file by itself: Matroska has no external references, and the MP4
 * demuxer follows them (`dref` boxes) only with `-enable_drefs 1` (off by default, libavformat/mov.c).
 * The probe also checks that the container found is the one named (`probe.ts`).
 */
import { extname } from 'node:path';

/** A container chunks are uploaded in: the demuxer forced on them, and what ffprobe calls that demuxer. */
export interface ChunkContainer {
  demuxer: string;
  /** ffprobe's `format_name`: the demuxer's full name, all the names it answers to. */
  formatName: string;
}

/**
 * Containers by chunk extension. Video chunks only: screenshots (`.jpg`) are handed on as frames as
 * they are and never decoded here.
 */
const CONTAINERS: Readonly<Record<string, ChunkContainer>> = {
  '.webm': { demuxer: 'matroska', formatName: 'matroska,webm' },
  '.mp4': { demuxer: 'mp4', formatName: 'mov,mp4,m4a,3gp,3g2,mj2' },
};

/** The container a local chunk file is read as, from its extension (the chunk's own). Pure. */
export function chunkContainer(file: string): ChunkContainer {
  const container = CONTAINERS[extname(file)];
  if (!container) {
    throw new RangeError(`${file} is not named as a video chunk (${Object.keys(CONTAINERS).join(', ')})`);
  }
  return container;
}

/** Input options of every run that reads the chunk `file`, placed before it. Pure. */
export function chunkInputOptions(file: string): string[] {
  const { demuxer } = chunkContainer(file);
  return ['-f', demuxer, '-format_whitelist', demuxer, '-protocol_whitelist', 'file'];
}
