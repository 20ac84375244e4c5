/**
 * Uploads that are not the container their name says, with the real ffmpeg: playlists and concat lists
 * that name files on this host, images, and one container under the other's extension. None may be read
 * as anything but its named container — not by the probe, and not by the encode, should a probe ever
 * pass one.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeChunk, isInputFailure, probeChunk } from '../../transcoder/media/index.ts';
import { makeChunk } from '../support/chunks.ts';
import { media } from '../support/media.ts';

const run = promisify(execFile);

let dir: string;
/** A video that exists only on the transcoder's host: red, so it shows wherever it ends up. */
let hostFile: string;

/** The lines of an HLS playlist with one segment, `uri`. */
function playlistOf(uri: string): string {
  return `#EXTM3U\n#EXT-X-TARGETDURATION:5\n#EXTINF:5,\n${uri}\n#EXT-X-ENDLIST\n`;
}

/** Ways to dress an upload up as a chunk; each writes `file`. */
const TRICKS: [string, string, (file: string) => Promise<void>][] = [
  [
    'an HLS playlist named .webm, listing a file of the host',
    'webm',
    (file) => writeFile(file, playlistOf(`file://${hostFile}`)),
  ],
  [
    'an ffconcat list named .webm, listing a file beside it',
    'webm',
    async (file) => {
      // The concat demuxer's safe mode still admits a plain name in the list's own folder.
      await copyFile(hostFile, join(dir, 'beside.mkv'));
      await writeFile(file, 'ffconcat version 1.0\nfile beside.mkv\n');
    },
  ],
  ['an HLS playlist named .mp4', 'mp4', (file) => writeFile(file, playlistOf(hostFile))],
  ['a PNG named .webm', 'webm', (file) => image(file, 'png_pipe')],
  ['a JPEG named .webm', 'webm', (file) => image(file, 'mjpeg')],
  [
    'a WebM named .mp4',
    'mp4',
    async (file) => {
      await copyFile(await makeChunk(dir, { name: 'real.webm' }), file);
    },
  ],
];

/** One red picture written by the image muxer `format` (`png_pipe`, `mjpeg`), whatever the name says. */
async function image(file: string, format: string): Promise<void> {
  await run(
    'ffmpeg',
    ['-v', 'error', '-f', 'lavfi', '-i', 'color=red:s=320x240', '-frames:v', '1']
      .concat(format === 'mjpeg' ? ['-f', 'mjpeg'] : ['-c:v', 'png', '-f', 'image2pipe'])
      .concat(['-y', file]),
  );
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ies-media-untrusted-'));
  await mkdir(join(dir, 'host'));
  hostFile = join(dir, 'host', 'seg.mkv');
  await run('ffmpeg', [
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    'color=red:s=320x240:r=10:d=3',
    '-c:v',
    'libx264',
    hostFile,
  ]);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.each(TRICKS)('%s', (trick, ext, write) => {
  let chunk: string;

  beforeAll(async () => {
    chunk = join(dir, `000000-1764158400123-5000.${ext}`);
    await write(chunk);
  });

  afterAll(async () => {
    await rm(chunk, { force: true });
  });

  it('does not probe as a chunk, and says why', async () => {
    const probe = await probeChunk(media, chunk);
    expect(probe.decodable).toBe(false);
    expect(probe.reason).toMatch(/\S/);
  });

  it('fails its encode as a failure of the input, writing nothing, even when a probe passed it', async () => {
    const outDir = join(dir, `out-${TRICKS.findIndex(([name]) => name === trick)}`);
    const error = await encodeChunk(media, {
      input: chunk,
      outDir,
      name: 'c',
      slot: { startSec: 0, durationSec: 2 },
      renditions: ['360p'],
      probe: {
        decodable: true,
        durationSec: 3,
        width: 320,
        height: 240,
        hasAudio: false,
        videoCodec: 'h264',
      },
      frames: { dir: join(outDir, 'frames'), thumbsDir: join(outDir, 'thumbs'), chunkStartMs: 0 },
    }).catch((e: unknown) => e);
    expect(isInputFailure(error)).toBe(true);
    expect(await readdir(join(outDir, '360p'))).toEqual([]);
    expect(await readdir(join(outDir, 'frames'))).toEqual([]);
    await rm(outDir, { recursive: true, force: true });
  });
});

describe('a chunk that is what its name says', () => {
  it('still probes, in either container', async () => {
    const webm = await makeChunk(dir, { name: 'plain.webm' });
    const mp4 = join(dir, 'plain.mp4');
    await run('ffmpeg', ['-v', 'error', '-i', webm, '-c:v', 'libx264', '-y', mp4]);
    for (const file of [webm, mp4]) expect((await probeChunk(media, file)).decodable).toBe(true);
  });
});
