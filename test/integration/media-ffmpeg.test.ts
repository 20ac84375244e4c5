/** The ffmpeg wrapper against the real binary: cancellation at any moment, timeouts, errors, progress. */
import { availableParallelism } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import type { FfmpegJob } from '../../transcoder/media/args.ts';
import {
  FfmpegError,
  type MediaLogEntry,
  runFfmpeg,
  runFfprobe,
  type Stats,
  setMediaSlots,
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

describe('media slots', () => {
  afterEach(() => setMediaSlots(availableParallelism()));

  /** A run that lasts `seconds` of wall clock whatever the machine (`-re` reads at the input's rate). */
  const paced = (seconds: number): FfmpegJob => ({
    global: ['-hide_banner', '-nostdin', '-v', 'error'],
    inputs: [{ options: ['-re', '-f', 'lavfi'], source: `testsrc2=s=160x90:r=10:d=${seconds}` }],
    outputs: [{ options: ['-f', 'null'], target: '-' }],
  });

  function concurrency() {
    let running = 0;
    let most = 0;
    const log = (entry: MediaLogEntry) => {
      if (entry.event === 'start') most = Math.max(most, ++running);
      else running--;
    };
    return { log, most: () => most };
  }

  it('runs at most as many ffmpeg and ffprobe processes at once as there are slots', async () => {
    const probeArgs = ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=s=160x90:d=0.5'];
    for (const slots of [1, 2]) {
      setMediaSlots(slots);
      const seen = concurrency();
      await Promise.all([
        runFfmpeg(paced(0.5), { log: seen.log }),
        runFfprobe(probeArgs, { log: seen.log }),
        runFfmpeg(paced(0.5), { log: seen.log }),
        runFfmpeg(paced(0.5), { log: seen.log }),
      ]);
      expect(seen.most()).toBe(slots);
    }
  });

  it("starts a run's time limit when it gets its slot, not while it waits for one", async () => {
    setMediaSlots(1);
    const first = runFfmpeg(paced(1.5));
    // Waits ≈ 1.5 s for the slot, then needs well under its 1 s limit.
    const second = runFfmpeg(paced(0.2), { timeoutMs: 1000 });
    await expect(Promise.all([first, second])).resolves.toEqual([undefined, undefined]);
  });

  it('gives up a waiting run when its signal is aborted, without running it', async () => {
    setMediaSlots(1);
    const controller = new AbortController();
    const seen = concurrency();
    const first = runFfmpeg(paced(1));
    const waiting = runFfmpeg(paced(0.2), { signal: controller.signal, log: seen.log });
    controller.abort(new Error('shutting down'));
    await expect(waiting).rejects.toThrow('shutting down');
    await first;
    expect(seen.most()).toBe(0);
  });
});
