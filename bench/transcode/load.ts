/**
 * Sessions per transcoder: how many 1080p screen sessions recording at once one transcoder keeps up with.
 * Each simulated session uploads one of the recording's chunks every chunk length (its own content: the
 * recording from a different chunk on, its phase drawn at random), and the encoder process (`encoder.ts`:
 * 2 media slots, 3 jobs, local files) encodes them as they arrive. It keeps up when the 95th percentile of
 * the frames-available latency (arrival → segments, frames and thumbnails written) is at most one chunk
 * length, i.e. a chunk is done before its session's next one arrives. Download, upload, index entries,
 * playlists and the queue are not in it.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { EncoderPlan } from './encoder.ts';
import { runEncoder } from './encoder-run.ts';
import type { ChunkTask } from './pipeline.ts';

export interface LoadTrial {
  sessions: number;
  chunks: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  keptUp: boolean;
  /** CPU-seconds of the encoder process (Node and its children) over the trial. */
  cpuSec: number;
  seconds: number;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;

/** One trial: `sessions` sessions uploading for `seconds`. */
async function trial(
  tasks: ChunkTask[],
  o: { variant: string; sessions: number; seconds: number; chunkMs: number; runDir: string },
): Promise<LoadTrial> {
  let seed = 4242 + o.sessions;
  const random = () => {
    seed = (seed * 16_807) % 2_147_483_647;
    return seed / 2_147_483_647;
  };
  const planned: EncoderPlan['tasks'] = [];
  for (let session = 0; session < o.sessions; session++) {
    const phaseMs = random() * o.chunkMs;
    const first = Math.floor(random() * tasks.length);
    for (let n = 1; phaseMs + n * o.chunkMs <= o.seconds * 1000; n++) {
      const task = tasks[(first + n) % tasks.length] as ChunkTask;
      planned.push({ task: { ...task, name: `${session}-${n}` }, arriveAtMs: phaseMs + n * o.chunkMs });
    }
  }
  planned.sort((a, b) => a.arriveAtMs - b.arriveAtMs);
  const outDir = join(o.runDir, `load-${o.variant}-${o.sessions}`);
  try {
    const run = await runEncoder(
      { variant: o.variant, outDir, mediaSlots: 2, concurrency: 3, tasks: planned },
      `${outDir}.json`,
    );
    const latencies = run.chunks.map((c) => c.doneMs - c.arrivedMs).sort((a, b) => a - b);
    const p95Ms = percentile(latencies, 95);
    return {
      sessions: o.sessions,
      chunks: latencies.length,
      p50Ms: percentile(latencies, 50),
      p95Ms,
      maxMs: latencies.at(-1) ?? Number.NaN,
      keptUp: p95Ms <= o.chunkMs,
      cpuSec: run.cpu.node + run.cpu.media,
      seconds: run.seconds,
    };
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

/**
 * The most sessions that keep up: from `estimate` (what the CPU time per chunk allows on 2 cores) up one
 * session at a time while they keep up, else bisecting down. Every trial is returned.
 */
export async function sessionsPerTranscoder(
  tasks: ChunkTask[],
  o: { variant: string; estimate: number; seconds: number; chunkMs: number; runDir: string },
): Promise<{ sessions: number; trials: LoadTrial[] }> {
  const trials: LoadTrial[] = [];
  // The most sessions known to keep up, and the fewest known not to.
  let keptUp = 0;
  let failed = Number.POSITIVE_INFINITY;
  let next = Math.max(1, o.estimate);
  while (failed - keptUp > 1) {
    console.error(`  ${o.variant}: ${next} sessions for ${o.seconds} s…`);
    const result = await trial(tasks, { ...o, sessions: next });
    trials.push(result);
    if (result.keptUp) keptUp = next;
    else failed = next;
    next = Number.isFinite(failed) ? Math.floor((keptUp + failed) / 2) : next + 1;
  }
  return { sessions: keptUp, trials };
}
