/** Checks on produced media with the real ffmpeg, shared by the transcoder's tests. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

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
