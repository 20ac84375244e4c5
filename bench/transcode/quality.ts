/**
 * What a pipeline's renditions are worth: SSIM against the source and bytes. SSIM is sampled at the
 * service's constant frame rate on both sides (`fps=`), so a picture held for ten seconds weighs ten
 * seconds, and the reference is the source scaled as the pipeline scales it (its scaler, its range
 * conversion), so what SSIM sees is what encoding lost. Values are ffmpeg's `ssim` filter's `All` (Y, U
 * and V weighted by their area).
 */
import { execFile } from 'node:child_process';
import { readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Rendition } from '../../contracts/storage.ts';

const run = promisify(execFile);
const BIG = 256 * 1024 * 1024;

/** A video as ffmpeg reads it: a concat list or a playlist. */
export interface Source {
  input: string[];
}

/**
 * An ffconcat list of `files`, each lasting its `durationSec`, written to `target`. `cut` drops what a file
 * holds past it; that is measured on the file's own timestamps, so only for files that start at 0.
 */
export async function concatList(
  target: string,
  files: Array<{ file: string; durationSec: number }>,
  cut = false,
): Promise<Source> {
  const text = files
    .map(
      ({ file, durationSec }) =>
        `file '${file}'\nduration ${durationSec}\n${cut ? `outpoint ${durationSec}\n` : ''}`,
    )
    .join('');
  await writeFile(target, `ffconcat version 1.0\n${text}`);
  return { input: ['-f', 'concat', '-safe', '0', '-i', target] };
}

/** An HLS playlist as input. */
export const playlist = (file: string): Source => ({ input: ['-i', file] });

/**
 * SSIM of each of `distorted` against `reference`, both sampled at `fps` from their first picture, the
 * reference scaled by the filter chain `scale` (the pipeline's own scaling, range conversion included).
 */
export async function ssim(
  reference: Source,
  distorted: Source[],
  o: { scale: string; fps: number },
): Promise<number[]> {
  const refs = distorted.map((_, i) => `[r${i}]`).join('');
  const graph = [
    `[0:v]setpts=PTS-STARTPTS,fps=${o.fps}:start_time=0,${o.scale},format=yuv420p,split=${distorted.length}${refs}`,
    ...distorted.map(
      (_, i) =>
        `[${i + 1}:v]setpts=PTS-STARTPTS,fps=${o.fps}:start_time=0,format=yuv420p[d${i}];[d${i}][r${i}]ssim=shortest=1[s${i}]`,
    ),
  ].join(';');
  const { stderr } = await run(
    'ffmpeg',
    [
      ...['-hide_banner', '-nostdin', '-nostats', '-v', 'info'],
      ...reference.input,
      ...distorted.flatMap((d) => d.input),
      ...['-filter_complex', graph],
      ...distorted.flatMap((_, i) => ['-map', `[s${i}]`, '-f', 'null', '-']),
    ],
    { maxBuffer: BIG },
  );
  // One summary line per filter at the end, `[Parsed_ssim_<n> @ …] SSIM Y:… All:0.98 (…)`, n in graph order.
  const found = [...stderr.matchAll(/Parsed_ssim_(\d+) @ [^\]]*\] SSIM .*? All:([\d.]+)/g)]
    .map((m) => ({ order: Number(m[1]), all: Number(m[2]) }))
    .sort((a, b) => a.order - b.order)
    .map((m) => m.all);
  if (found.length !== distorted.length) throw new Error(`ssim: ${stderr.slice(-2000)}`);
  return found;
}

/** Bytes of the first video stream's packets (no container, no audio). */
export async function videoBytes(source: Source): Promise<number> {
  const { stdout } = await run(
    'ffprobe',
    [
      ...['-v', 'error'],
      ...source.input,
      ...['-select_streams', 'v:0', '-show_entries', 'packet=size', '-of', 'csv=p=0'],
    ],
    { maxBuffer: BIG },
  );
  // Lines are `<size>,` (csv with the section name left out).
  return stdout.split('\n').reduce((sum, line) => sum + (Number.parseInt(line, 10) || 0), 0);
}

/** Bytes of the files in `dir` (segments, playlists, init sections). */
export async function fileBytes(dir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir)) total += (await stat(join(dir, name))).size;
  return total;
}

export interface RenditionFigures {
  rendition: Rendition;
  ssim: number;
  videoBytes: number;
  fileBytes: number;
}
