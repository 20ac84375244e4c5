/**
 * A chunk encoder process for the benchmark, started by `encoder-run.ts` the way the transcoder is started
 * (`--optimize-for-size`, two malloc arenas): it encodes chunks as the transcoder's chunk jobs do — at
 * most `mediaSlots` ffmpeg or ffprobe runs and `concurrency` jobs at a time — each chunk entering when its
 * `arriveAtMs` comes (0: at once); a chunk it fails on becomes a gap. Reads its plan as JSON from the file named by its first argument and
 * writes a JSON line per chunk done, then one with its CPU time. No S3, no SQS: a chunk is a local file and
 * its outputs stay in `outDir`.
 */
import { readFile } from 'node:fs/promises';
import pLimit from 'p-limit';
import { cpuSeconds } from '../proc-cpu.ts';
import { type ChunkTask, encodeTask, mediaRunner } from './pipeline.ts';
import { variantNamed } from './variants.ts';

export interface EncoderPlan {
  variant: string;
  outDir: string;
  mediaSlots: number;
  concurrency: number;
  tasks: Array<{ task: ChunkTask; arriveAtMs: number }>;
}

/** A line of the encoder's output. */
export type EncoderLine =
  | { done: number; arrivedMs: number; doneMs: number; encoded: boolean }
  | { cpu: { node: number; media: number } };

const plan = JSON.parse(await readFile(process.argv[2] ?? '', 'utf8')) as EncoderPlan;
const variant = variantNamed(plan.variant);
const media = mediaRunner(plan.mediaSlots);
const jobs = pLimit(plan.concurrency);
const write = (line: EncoderLine) => process.stdout.write(`${JSON.stringify(line)}\n`);
const t0 = performance.now();
await Promise.all(
  plan.tasks.map(async ({ task, arriveAtMs }, i) => {
    await new Promise((resolve) => setTimeout(resolve, arriveAtMs - (performance.now() - t0)));
    const encoded = await jobs(() => encodeTask(media, variant, task, plan.outDir));
    write({ done: i, arrivedMs: arriveAtMs, doneMs: performance.now() - t0, encoded });
  }),
);
const cpu = cpuSeconds(process.pid);
write({ cpu: { node: cpu.self, media: cpu.children } });
