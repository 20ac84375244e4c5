/** probeChunk against real files: good chunks of each codec, and chunks that must come back undecodable. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeChunk } from '../../transcoder/media/index.ts';
import { makeChunk, makeUndecodableChunk } from '../support/chunks.ts';
import { media } from '../support/media.ts';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ies-media-probe-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('probeChunk', () => {
  it('reads a VP8 chunk without audio, whose duration is its last frame', async () => {
    const probe = await probeChunk(
      media,
      await makeChunk(dir, { codec: 'vp8', durationSec: 2, contentSec: 1.5 }),
    );
    expect(probe).toMatchObject({
      decodable: true,
      width: 320,
      height: 180,
      hasAudio: false,
      videoCodec: 'vp8',
    });
    expect(probe.reason).toBeUndefined();
    expect(probe.durationSec).toBeGreaterThan(1.4);
    expect(probe.durationSec).toBeLessThan(1.7);
  });

  it('reads a VP9 chunk with audio', async () => {
    const probe = await probeChunk(
      media,
      await makeChunk(dir, { codec: 'vp9', width: 640, height: 360, audio: true }),
    );
    expect(probe).toMatchObject({
      decodable: true,
      width: 640,
      height: 360,
      hasAudio: true,
      videoCodec: 'vp9',
    });
    expect(probe.durationSec).toBeCloseTo(2, 1);
  });

  it('returns a garbage chunk as undecodable, with a reason', async () => {
    const probe = await probeChunk(media, await makeUndecodableChunk(dir, 'garbage'));
    expect(probe.decodable).toBe(false);
    expect(probe.reason).toMatch(/\S/);
  });

  it('returns a chunk cut short inside its first packets as undecodable', async () => {
    const whole = await readFile(await makeChunk(dir, { name: 'cut-early.webm', audio: true }));
    const cut = join(dir, 'cut-at-700-bytes.webm');
    await writeFile(cut, whole.subarray(0, 700));
    expect(await probeChunk(media, cut)).toMatchObject({
      decodable: false,
      reason: expect.stringContaining('File ended prematurely'),
    });
  });

  it.each(['truncated', 'frameless'] as const)(
    'leaves a %s chunk, whose headers are sound, to the encode to judge',
    async (kind) => {
      const probe = await probeChunk(media, await makeUndecodableChunk(dir, kind));
      expect(probe).toMatchObject({ decodable: true, width: 320, height: 180, hasAudio: true });
    },
  );

  it('returns an empty file as undecodable', async () => {
    const empty = join(dir, 'empty.webm');
    await writeFile(empty, '');
    expect(await probeChunk(media, empty)).toMatchObject({
      decodable: false,
      reason: expect.stringContaining('EBML'),
    });
  });

  it('gives up on a decode that takes too long, with an error to retry rather than a verdict', async () => {
    const chunk = await makeChunk(dir, { name: 'slow.webm', durationSec: 2 });
    await expect(probeChunk(media, chunk, { timeoutMs: 1 })).rejects.toMatchObject({
      name: 'FfmpegError',
      timedOut: true,
      message: 'ffprobe timed out after 1 ms',
    });
  });

  it('rejects when the caller aborts', async () => {
    const chunk = await makeChunk(dir, { name: 'aborted.webm', durationSec: 2 });
    await expect(
      probeChunk(media, chunk, { signal: AbortSignal.abort(new Error('shutting down')) }),
    ).rejects.toThrow('shutting down');
  });
});
