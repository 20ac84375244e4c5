/**
 * The reference: one plain ffmpeg one-pass ladder over the whole session joined into one file — one
 * `split=3` filter graph scaling the source to each of 360/480/720p (the service's sizes: `-2` keeps the
 * aspect ratio at an even width, as `renditionSize` does), H.264 veryfast, capped CRF 23 (the service's
 * caps, with twice their buffer), keyframes every 6 s, the source's frames kept (VFR), HLS fMP4.
 */
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface LadderRun {
  seconds: number;
  cpuSeconds: number;
  rss: number;
  /** `<rendition>/index.m3u8` and its segments. */
  outDir: string;
}

/** The one-pass ladder on `input` (the recording joined into one file), written to `out`. */
export async function referenceLadder(input: string, out: string): Promise<LadderRun> {
  await mkdir(out, { recursive: true });
  const started = performance.now();
  const { stderr } = await run('/usr/bin/time', [
    '-f',
    'peak-rss-kb=%M cpu=%U+%S',
    'ffmpeg',
    '-v',
    'error',
    '-i',
    input,
    '-fps_mode',
    'vfr',
    '-filter_complex',
    '[0:v]split=3[a][b][c];[a]scale=-2:360[v360];[b]scale=-2:480[v480];[c]scale=-2:720[v720]',
    '-map',
    '[v360]',
    '-map',
    '[v480]',
    '-map',
    '[v720]',
    '-c:v',
    'libx264',
    '-pix_fmt',
    'yuv420p',
    '-preset',
    'veryfast',
    '-crf',
    '23',
    '-maxrate:v:0',
    '800k',
    '-bufsize:v:0',
    '1600k',
    '-maxrate:v:1',
    '1400k',
    '-bufsize:v:1',
    '2800k',
    '-maxrate:v:2',
    '2800k',
    '-bufsize:v:2',
    '5600k',
    '-force_key_frames',
    'expr:gte(t,n_forced*6)',
    '-sc_threshold',
    '0',
    '-f',
    'hls',
    '-hls_time',
    '6',
    '-hls_playlist_type',
    'vod',
    '-hls_segment_type',
    'fmp4',
    '-hls_flags',
    'independent_segments',
    '-master_pl_name',
    'master.m3u8',
    '-var_stream_map',
    'v:0,name:360p v:1,name:480p v:2,name:720p',
    '-hls_segment_filename',
    join(out, '%v/seg_%03d.m4s'),
    join(out, '%v/index.m3u8'),
  ]);
  const seconds = (performance.now() - started) / 1000;
  const cpu = /cpu=([\d.]+)\+([\d.]+)/.exec(stderr);
  return {
    seconds,
    cpuSeconds: Number(cpu?.[1] ?? 0) + Number(cpu?.[2] ?? 0),
    rss: Number(/peak-rss-kb=(\d+)/.exec(stderr)?.[1] ?? 0) * 1024,
    outDir: out,
  };
}
