/**
 * The media runner against the real binaries: cancellation at any moment, time limits, errors, progress,
 * a log line for each command, media slots, and no ffmpeg left behind by a process that dies.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJsonLogger } from '../../transcoder/log.ts';
import { FfmpegError } from '../../transcoder/media/ffmpeg-error.ts';
import type { FfmpegJob } from '../../transcoder/media/job.ts';
import { createMediaRunner } from '../../transcoder/media/runner.ts';
import type { Stats } from '../../transcoder/media/tool-process.ts';

interface LogLine {
  level: string;
  msg: string;
  tool?: string;
  pid?: number;
  args?: string[];
  elapsedMs?: number;
  error?: string;
  [field: string]: unknown;
}

/** A runner with `slots` slots whose log lines are kept, parsed, in `lines`. */
function runner(slots = 2) {
  const lines: LogLine[] = [];
  const log = createJsonLogger({}, { write: (line) => lines.push(JSON.parse(line)) });
  return { media: createMediaRunner({ slots, log }), lines, log };
}

/**
 * A run lasting `seconds` of wall clock whatever the machine: `-re` reads the input no faster than its
 * own rate, so a run cannot end early however idle the cores are.
 */
const paced = (seconds: number): FfmpegJob => ({
  global: ['-hide_banner', '-nostdin', '-v', 'error', '-stats'],
  inputs: [{ options: ['-re', '-f', 'lavfi'], source: `testsrc2=s=160x90:r=10:d=${seconds}` }],
  outputs: [{ options: ['-f', 'null'], target: '-' }],
});
/** Ten minutes of wall clock: finishing within a test means it was not stopped. */
const LONG = paced(600);

/** Whether process `pid` still runs: it exists and is not a zombie waiting to be reaped. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

const started = (lines: LogLine[]) => lines.filter((line) => line.msg.endsWith(' started'));

describe('ffmpeg', () => {
  it('kills ffmpeg when aborted mid-run, reports progress until then, and leaves no process', async () => {
    const { media, lines } = runner();
    const controller = new AbortController();
    const seen: Stats[] = [];
    await expect(
      media.ffmpeg(LONG, {
        signal: controller.signal,
        onProgress: (stats) => {
          seen.push(stats);
          if ((stats.seconds ?? 0) > 1) controller.abort(new Error('enough'));
        },
      }),
    ).rejects.toThrow('enough');
    expect(seen.at(-1)?.frame).toBeGreaterThan(0);
    const pid = started(lines)[0]?.pid ?? 0;
    expect(pid).toBeGreaterThan(0);
    expect(alive(pid)).toBe(false);
  });

  it('kills ffmpeg when aborted before it has been spawned', async () => {
    const { media } = runner();
    const controller = new AbortController();
    const run = media.ffmpeg(LONG, { signal: controller.signal });
    controller.abort(new Error('shutting down'));
    await expect(run).rejects.toThrow('shutting down');
  });

  it('times out with an FfmpegError that says so', async () => {
    const { media, lines } = runner();
    const error = await media.ffmpeg(LONG, { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FfmpegError);
    expect(error).toMatchObject({ timedOut: true, started: true, message: 'ffmpeg timed out after 300 ms' });
    expect(alive(started(lines)[0]?.pid ?? 0)).toBe(false);
  });

  it('rejects a failing run with its arguments and stderr, and logs its start and its failure', async () => {
    const { media, lines } = runner();
    const job: FfmpegJob = {
      global: ['-hide_banner', '-nostdin', '-v', 'error'],
      inputs: [{ options: [], source: '/nonexistent/chunk.webm' }],
      outputs: [{ options: ['-f', 'null'], target: '-' }],
    };
    const error = await media.ffmpeg(job).catch((e: unknown) => e);
    const args = [
      '-y',
      '-i',
      '/nonexistent/chunk.webm',
      '-hide_banner',
      '-nostdin',
      '-v',
      'error',
      '-f',
      'null',
      '-',
    ];
    expect(error).toBeInstanceOf(FfmpegError);
    expect(error).toMatchObject({
      timedOut: false,
      started: true,
      args,
      message: 'ffmpeg exited with code 1: /nonexistent/chunk.webm: No such file or directory',
    });
    expect((error as FfmpegError).stderrTail).toContain('No such file or directory');
    expect(lines.map((line) => [line.level, line.msg])).toEqual([
      ['info', 'ffmpeg started'],
      ['warn', 'ffmpeg failed'],
    ]);
    expect(lines[0]).toMatchObject({ tool: 'ffmpeg', args });
    expect(lines[1]).toMatchObject({ tool: 'ffmpeg', pid: lines[0]?.pid, error: (error as Error).message });
    expect(lines[1]?.elapsedMs).toBeGreaterThanOrEqual(0);
  });

  it('logs the command line and the elapsed time of a run that succeeds, through the logger it is given', async () => {
    const { media, lines, log } = runner();
    const job = media.withLog(log.child({ sessionId: 's-1' }));
    await job.ffmpeg(paced(0.3));
    expect(lines.map((line) => [line.msg, line.sessionId])).toEqual([
      ['ffmpeg started', 's-1'],
      ['ffmpeg ended', 's-1'],
    ]);
    expect(lines[0]?.args).toEqual([
      '-y',
      '-re',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=s=160x90:r=10:d=0.3',
      ...LONG.global,
      '-f',
      'null',
      '-',
    ]);
    expect(lines[1]).toMatchObject({ tool: 'ffmpeg', pid: lines[0]?.pid, exitCode: 0 });
    // -re holds the run to its input's 0.3 s.
    expect(lines[1]?.elapsedMs).toBeGreaterThanOrEqual(300);
  });

  it('fails a run that finished with fewer frames than `verify` asks for', async () => {
    const { media } = runner();
    const error = await media.ffmpeg(paced(0.3), { verify: { frames: 5 } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FfmpegError);
    expect(error).toMatchObject({
      message: 'ffmpeg wrote 3 video frames, not 5',
      started: true,
      timedOut: false,
    });
    await expect(media.ffmpeg(paced(0.3), { verify: { frames: 3 } })).resolves.toBeUndefined();
  });
});

describe('ffprobe', () => {
  it('resolves with the exit code and output whatever the code', async () => {
    const { media, lines } = runner();
    const run = await media.ffprobe(['-v', 'error', '/nonexistent/chunk.webm']);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain('No such file or directory');
    expect(lines.map((line) => line.msg)).toEqual(['ffprobe started', 'ffprobe ended']);
  });
});

describe('a tool that is not installed', () => {
  let bin: string;
  const path = process.env.PATH;

  beforeAll(async () => {
    // A PATH where setpriv is found and the tools are not.
    bin = await mkdtemp(join(tmpdir(), 'ies-no-ffmpeg-'));
    await symlink('/usr/bin/setpriv', join(bin, 'setpriv'));
    process.env.PATH = bin;
  });

  afterAll(async () => {
    process.env.PATH = path;
    await rm(bin, { recursive: true, force: true });
  });

  it('fails as not started, which says nothing about the input', async () => {
    const { media } = runner();
    const error = await media.ffprobe(['-version']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FfmpegError);
    expect(error).toMatchObject({
      started: false,
      message: expect.stringContaining('ffprobe could not be started'),
    });
  });
});

describe('media slots', () => {
  /** The most runs that were going at once, from the log. */
  function mostAtOnce(lines: LogLine[]): number {
    let running = 0;
    let most = 0;
    for (const line of lines) {
      if (line.msg.endsWith(' started')) most = Math.max(most, ++running);
      else running--;
    }
    return most;
  }

  it.each([1, 2])(
    'runs at most %i ffmpeg and ffprobe processes at once with as many slots',
    async (slots) => {
      const { media, lines } = runner(slots);
      await Promise.all([
        media.ffmpeg(paced(0.5)),
        media.ffprobe(['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=s=160x90:d=0.5']),
        media.ffmpeg(paced(0.5)),
        media.ffmpeg(paced(0.5)),
      ]);
      expect(mostAtOnce(lines)).toBe(slots);
    },
  );

  it("starts a run's time limit when it gets its slot, not while it waits for one", async () => {
    const { media } = runner(1);
    const first = media.ffmpeg(paced(4));
    // Waits 4 s for the slot, longer than its limit; then needs 0.2 s of it.
    const second = media.ffmpeg(paced(0.2), { timeoutMs: 3000 });
    await expect(Promise.all([first, second])).resolves.toEqual([undefined, undefined]);
  });

  it('gives up a waiting run when its signal is aborted, without running it', async () => {
    const { media, lines } = runner(1);
    const controller = new AbortController();
    const first = media.ffmpeg(paced(1));
    const waiting = media.ffmpeg(paced(0.2), { signal: controller.signal });
    controller.abort(new Error('shutting down'));
    await expect(waiting).rejects.toThrow('shutting down');
    await first;
    expect(started(lines)).toHaveLength(1);
  });

  it('shares its slots with the runners made from it for jobs', async () => {
    const { media, lines, log } = runner(1);
    await Promise.all([media.withLog(log).ffmpeg(paced(0.3)), media.withLog(log).ffmpeg(paced(0.3))]);
    expect(mostAtOnce(lines)).toBe(1);
  });
});

describe('a process that dies', () => {
  it('takes its ffmpeg runs with it, even killed with SIGKILL', async () => {
    const runnerUrl = new URL('../../transcoder/media/runner.ts', import.meta.url).href;
    const script = [
      `import { createMediaRunner } from ${JSON.stringify(runnerUrl)};`,
      "const log = { info: (msg, f) => msg === 'ffmpeg started' && console.log(f.pid), warn() {}, error() {}, progress() {}, child() { return log; } };",
      'const media = createMediaRunner({ slots: 1, log });',
      `await media.ffmpeg(${JSON.stringify(LONG)});`,
    ].join('\n');
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const pid = await new Promise<number>((resolve, reject) => {
      child.stdout.once('data', (data: Buffer) => resolve(Number(data.toString().trim())));
      child.once('exit', () => reject(new Error('the child ended before starting ffmpeg')));
    });
    expect(alive(pid)).toBe(true);
    child.kill('SIGKILL');
    // The kernel sends the parent-death signal as the parent exits; allow the machine a few seconds.
    const deadline = performance.now() + 5000;
    while (alive(pid) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(alive(pid)).toBe(false);
  });
});
