/** The ffmpeg wrapper against the real binary: cancellation at any moment, timeouts, errors, progress. */
import { describe, expect, it } from 'vitest';
import type { FfmpegJob } from '../../transcoder/media/args.ts';
import {
  FfmpegError,
  type MediaLogEntry,
  runFfmpeg,
  runFfprobe,
  type Stats,
} from '../../transcoder/media/ffmpeg.ts';

/** Ten minutes of test pattern into nothing: long enough that finishing means it was not stopped. */
const LONG: FfmpegJob = {
  global: ['-hide_banner', '-nostdin', '-v', 'error', '-stats'],
  inputs: [{ options: ['-f', 'lavfi'], source: 'testsrc2=s=320x180:r=10:d=600' }],
  outputs: [{ options: ['-f', 'null'], target: '-' }],
};

describe('runFfmpeg', () => {
  it('kills ffmpeg when aborted, even before it has been spawned', async () => {
    const controller = new AbortController();
    const started = performance.now();
    const run = runFfmpeg(LONG, { signal: controller.signal });
    controller.abort(new Error('shutting down'));
    await expect(run).rejects.toThrow('shutting down');
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('kills ffmpeg when aborted mid-run, and reports progress until then', async () => {
    const controller = new AbortController();
    const seen: Stats[] = [];
    await expect(
      runFfmpeg(LONG, {
        signal: controller.signal,
        onProgress: (stats) => {
          seen.push(stats);
          if ((stats.seconds ?? 0) > 1) controller.abort(new Error('enough'));
        },
      }),
    ).rejects.toThrow('enough');
    expect(seen.at(-1)?.frame).toBeGreaterThan(0);
  });

  it('times out with an FfmpegError that says so', async () => {
    const error = await runFfmpeg(LONG, { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FfmpegError);
    expect(error).toMatchObject({ timedOut: true, message: 'ffmpeg timed out after 200 ms' });
  });

  it('rejects a failing run with its arguments, the stderr tail and the last error line', async () => {
    const log: MediaLogEntry[] = [];
    const job: FfmpegJob = {
      global: ['-hide_banner', '-nostdin', '-v', 'error'],
      inputs: [{ options: [], source: '/nonexistent/chunk.webm' }],
      outputs: [{ options: ['-f', 'null'], target: '-' }],
    };
    const error = await runFfmpeg(job, { log: (e) => log.push(e) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FfmpegError);
    expect(error).toMatchObject({
      timedOut: false,
      args: ['-i', '/nonexistent/chunk.webm', '-hide_banner', '-nostdin', '-v', 'error', '-f', 'null', '-'],
      message: 'ffmpeg exited with code 1: /nonexistent/chunk.webm: No such file or directory',
    });
    expect((error as FfmpegError).stderrTail).toContain('No such file or directory');
    expect(log.map((e) => e.event)).toEqual(['start', 'error']);
  });

  it('refuses a lone option holding a space, which fluent-ffmpeg would split', async () => {
    await expect(
      runFfmpeg({ global: [], inputs: [{ options: ['-f lavfi'], source: 'anullsrc' }], outputs: [] }),
    ).rejects.toThrow(TypeError);
  });
});

describe('runFfprobe', () => {
  it('resolves with the exit code and output whatever the code', async () => {
    const run = await runFfprobe(['-v', 'error', '/nonexistent/chunk.webm']);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain('No such file or directory');
  });
});
