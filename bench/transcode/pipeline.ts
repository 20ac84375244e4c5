/**
 * The service's chunk encode as the benchmark runs it. With the service's own settings it is
 * `encodeChunk` itself; a candidate (`variants.ts`) is the job `encodeChunk` would run — built here with
 * `chunkEncodeJob` from the same plan — edited, and run through the same media slots. `assertSamePlan`
 * checks that the plan built here is still the one `encodeChunk` builds, so every candidate is an edit of
 * the real thing.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Rendition } from '../../contracts/storage.ts';
import type { Logger } from '../../transcoder/log.ts';
import {
  chunkEncodeJob,
  DEFAULT_FRAMES_FPS,
  FRAME_MAX_WIDTH,
  THUMBNAIL_WIDTH,
} from '../../transcoder/media/chunk.ts';
import { SCALE_FLAGS } from '../../transcoder/media/filters.ts';
import {
  type ChunkProbe,
  createMediaRunner,
  DEFAULT_FPS,
  encodeChunk,
  encodePlaceholder,
  isInputFailure,
  probeChunk,
  renditionSize,
  renditionsFor,
  runTimeoutMs,
} from '../../transcoder/media/index.ts';
import { toArgv } from '../../transcoder/media/job.ts';
import { fitWidth } from '../../transcoder/media/renditions.ts';
import type { MediaRunner } from '../../transcoder/media/runner.ts';
import { type Slot, slotTiming } from '../../transcoder/media/timing.ts';
import { type Recording, slotMs } from './recording.ts';
import type { Variant } from './variants.ts';

/** A logger that drops everything but the arguments of the ffmpeg runs it sees (`args` of `ffmpeg started`). */
function quietLogger(onFfmpeg: (args: string[]) => void = () => {}): Logger {
  const logger: Logger = {
    info: (msg, fields) => {
      if (msg === 'ffmpeg started' && Array.isArray(fields?.args)) onFfmpeg(fields.args as string[]);
    },
    warn: () => {},
    error: () => {},
    progress: () => {},
    child: () => logger,
  };
  return logger;
}

/** A media runner with `slots` slots, as the transcoder makes one (`MEDIA_SLOTS`), logging nothing. */
export const mediaRunner = (slots: number): MediaRunner => createMediaRunner({ slots, log: quietLogger() });

/** One chunk to encode into its slot of the session timeline. */
export interface ChunkTask {
  input: string;
  /** The segment's file name without extension, also its frames' folder name. */
  name: string;
  slot: Slot;
  chunkStartMs: number;
}

/**
 * The recording's chunks as encode tasks, each in its slot of the recording's timeline (from its first
 * chunk). A chunk that does not probe as decodable is left out, its time going to the chunk before it:
 * a MediaRecorder started on a tab where nothing changes for a whole chunk gets no frame and writes a
 * header-only file (`undecodable` counts them). The transcoder records such a chunk as a gap.
 */
export async function chunkTasks(
  media: MediaRunner,
  recording: Recording,
): Promise<{ tasks: ChunkTask[]; undecodable: number }> {
  const decodable: Recording['chunks'] = [];
  for (const chunk of recording.chunks) {
    if ((await probeChunk(media, chunk.file)).decodable) decodable.push(chunk);
  }
  const origin = decodable[0]?.startMs ?? 0;
  const tasks = decodable.map((chunk, i) => ({
    input: chunk.file,
    name: String(chunk.seq).padStart(6, '0'),
    slot: { startSec: (chunk.startMs - origin) / 1000, durationSec: slotMs(decodable, i) / 1000 },
    chunkStartMs: chunk.startMs,
  }));
  return { tasks, undecodable: recording.chunks.length - decodable.length };
}

/** Where a run writes: `segments/<rendition>/<name>.ts`, `frames/…` and `thumbnails/…`. */
export function segmentFile(outDir: string, rendition: Rendition, name: string): string {
  return join(outDir, 'segments', rendition, `${name}.ts`);
}

/**
 * Probes the chunk, then encodes it as `variant` says: `encodeChunk` itself for the service. Resolves
 * false when the encode failed on the chunk: then, as the transcoder makes a gap of such a chunk, its
 * segments are black placeholders (`encodePlaceholder`).
 */
export async function encodeTask(
  media: MediaRunner,
  variant: Variant,
  task: ChunkTask,
  outDir: string,
): Promise<boolean> {
  const probe = await probeChunk(media, task.input);
  if (!probe.decodable) throw new Error(`${task.input} does not decode: ${probe.reason}`);
  const renditions = renditionsFor(probe.height);
  try {
    await encode(media, variant, task, outDir, probe);
    return true;
  } catch (error) {
    if (!isInputFailure(error)) throw error;
    await encodePlaceholder(media, {
      outDir: join(outDir, 'segments'),
      name: task.name,
      slot: task.slot,
      renditions,
      resolutions: Object.fromEntries(renditions.map((r) => [r, renditionSize(r, probe)])),
    });
    return false;
  }
}

async function encode(
  media: MediaRunner,
  variant: Variant,
  task: ChunkTask,
  outDir: string,
  probe: ChunkProbe,
): Promise<void> {
  if (!variant.edit) {
    await encodeChunk(media, {
      input: task.input,
      outDir: join(outDir, 'segments'),
      name: task.name,
      slot: task.slot,
      renditions: renditionsFor(probe.height),
      probe,
      frames: {
        dir: join(outDir, 'frames'),
        thumbsDir: join(outDir, 'thumbnails'),
        chunkStartMs: task.chunkStartMs,
      },
    });
    return;
  }
  const { job, frameCount } = await planJob(task, outDir, probe);
  await media.ffmpeg(variant.edit(job), {
    timeoutMs: runTimeoutMs(task.slot.durationSec),
    // A variant that keeps the source's frames writes fewer than the slot's count.
    verify: variant.keepsFrameCount === false ? undefined : { frames: frameCount },
  });
}

/** The job `encodeChunk` runs for `task`, with its outputs under `outDir` (directories made). */
async function planJob(task: ChunkTask, outDir: string, probe: ChunkProbe) {
  const timing = slotTiming(task.slot, DEFAULT_FPS);
  const segments = renditionsFor(probe.height).map((rendition) => ({
    rendition,
    size: renditionSize(rendition, probe),
    target: segmentFile(outDir, rendition, task.name),
  }));
  const framesDir = join(outDir, 'frames');
  const thumbsDir = join(outDir, 'thumbnails');
  for (const dir of [framesDir, thumbsDir, ...segments.map((s) => join(s.target, '..'))]) {
    await mkdir(dir, { recursive: true });
  }
  const frameSize = fitWidth(FRAME_MAX_WIDTH, probe);
  const job = chunkEncodeJob({
    input: task.input,
    source: probe,
    hasAudio: probe.hasAudio,
    timing,
    fps: DEFAULT_FPS,
    segments,
    scaleFlags: SCALE_FLAGS,
    frames: {
      pattern: join(framesDir, `${task.name}-%d.jpg`),
      thumbsPattern: join(thumbsDir, `${task.name}-%d.jpg`),
      fps: DEFAULT_FRAMES_FPS,
      size: frameSize,
      thumbSize: fitWidth(THUMBNAIL_WIDTH, frameSize),
    },
  });
  return { job, frameCount: timing.frameCount };
}

/**
 * Throws unless the job built here for `task` has the very arguments `encodeChunk` runs for it (output
 * paths aside): encodes the chunk once with `encodeChunk`, reading its arguments from the runner's log.
 */
export async function assertSamePlan(task: ChunkTask, workDir: string): Promise<void> {
  const dir = await mkdtemp(join(workDir, 'plan-'));
  try {
    let ran: string[] = [];
    const media = createMediaRunner({
      slots: 1,
      log: quietLogger((args) => {
        ran = args;
      }),
    });
    const probe = await probeChunk(media, task.input);
    await encodeChunk(media, {
      input: task.input,
      outDir: join(dir, 'segments'),
      name: task.name,
      slot: task.slot,
      renditions: renditionsFor(probe.height),
      probe,
      frames: { dir: join(dir, 'frames'), thumbsDir: join(dir, 'thumbnails'), chunkStartMs: 0 },
    });
    // The runner puts `-y` before the job's arguments (`runner.ts`).
    if (ran[0] === '-y') ran = ran.slice(1);
    const built = toArgv((await planJob(task, dir, probe)).job);
    const paths = (args: string[]) => args.map((arg) => (arg.startsWith(dir) ? '<output>' : arg));
    const [a, b] = [paths(ran), paths(built)];
    const at = a.findIndex((arg, i) => arg !== b[i]);
    if (at >= 0 || a.length !== b.length) {
      throw new Error(
        `the benchmark's copy of encodeChunk's plan is out of date (argument ${at}: ${a[at]} ≠ ${b[at]}); update bench/transcode/pipeline.ts`,
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
