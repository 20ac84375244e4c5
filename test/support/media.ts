/** Checks on produced media with the real ffmpeg, shared by the transcoder's tests. */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { promisify } from 'node:util';
import { createJsonLogger } from '../../transcoder/log.ts';
import { createMediaRunner } from '../../transcoder/media/runner.ts';

const run = promisify(execFile);

/** The media runner of the tests that drive media functions directly: one slot per core, no log lines. */
export const media = createMediaRunner({
  slots: availableParallelism(),
  log: createJsonLogger({}, { write: () => {} }),
});

/** The black stretches ffmpeg's `blackdetect=<options>` finds in `source`'s video, as [start, end] seconds. */
export async function blackSpans(source: string, options: string): Promise<[number, number][]> {
  const { stderr } = await run('ffmpeg', [
    '-hide_banner',
    '-i',
    source,
    '-vf',
    `blackdetect=${options}`,
    '-an',
    '-f',
    'null',
    '-',
  ]);
  return [...stderr.matchAll(/black_start:([\d.]+) black_end:([\d.]+)/g)].map((m) => [
    Number(m[1]),
    Number(m[2]),
  ]);
}

/**
 * The first H.264 headers of `source`'s video as the `trace_headers` bitstream filter prints them: a
 * field's value by its name in ITU-T H.264 (`profile_idc`, `video_full_range_flag`, …), NaN when absent.
 */
export async function h264Fields(source: string): Promise<(name: string) => number> {
  const { stderr } = await run('ffmpeg', [
    '-hide_banner',
    '-v',
    'verbose',
    '-i',
    source,
    '-map',
    '0:v:0',
    '-c',
    'copy',
    '-bsf:v',
    'trace_headers',
    '-frames:v',
    '1',
    '-f',
    'null',
    '-',
  ]);
  return (name) => Number(new RegExp(`${name}\\s+\\S+ = (\\d+)`).exec(stderr)?.[1]);
}

/**
 * The types of an MP4's top-level boxes, in file order (ISO/IEC 14496-12 §4.2: each box starts with its
 * 32-bit size and its four-character type). A fast-start MP4 has `moov`, its index, before `mdat`.
 */
export async function topLevelBoxes(file: string): Promise<string[]> {
  const bytes = await readFile(file);
  const boxes: string[] = [];
  for (let at = 0; at + 8 <= bytes.length; ) {
    boxes.push(bytes.toString('latin1', at + 4, at + 8));
    const size = bytes.readUInt32BE(at);
    if (size < 8) break;
    at += size;
  }
  return boxes;
}

/** A 640 × 360 JPEG of one colour (an ffmpeg colour name), as a recorder's screenshot. */
export async function solidJpeg(file: string, colour: string): Promise<string> {
  await run('ffmpeg', [
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    `color=${colour}:s=640x360`,
    '-frames:v',
    '1',
    file,
  ]);
  return file;
}
