/**
 * Runs `encoder.ts` in its own process, as the transcoder runs (`transcoder/launch.ts`: Node's arguments
 * and environment), and measures it from outside: wall time, its CPU (Node's own and its ffmpeg and
 * ffprobe children's) and its peak memory (`footprint.ts`).
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { TRANSCODER_ENV } from '../../transcoder/launch.ts';
import type { EncoderLine, EncoderPlan } from './encoder.ts';
import { type Footprint, rssSampler } from './footprint.ts';

export interface EncoderRun {
  seconds: number;
  cpu: { node: number; media: number };
  rss: Footprint;
  /** Per task of the plan, in its order: when it arrived and when its outputs were written, ms from the start. */
  chunks: Array<{ arrivedMs: number; doneMs: number; encoded: boolean }>;
}

/** Encodes `plan` in an encoder process and resolves once every chunk is done. */
export async function runEncoder(plan: EncoderPlan, planFile: string): Promise<EncoderRun> {
  await writeFile(planFile, JSON.stringify(plan));
  const child = spawn(
    process.execPath,
    ['--optimize-for-size', join(import.meta.dirname, 'encoder.ts'), planFile],
    { env: { ...process.env, ...TRANSCODER_ENV }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const sampler = rssSampler(child.pid ?? 0);
  sampler.start();
  const started = performance.now();
  const chunks: EncoderRun['chunks'] = [];
  let cpu: EncoderRun['cpu'] | undefined;
  createInterface({ input: child.stdout }).on('line', (text) => {
    const line = JSON.parse(text) as EncoderLine;
    if ('cpu' in line) cpu = line.cpu;
    else chunks[line.done] = { arrivedMs: line.arrivedMs, doneMs: line.doneMs, encoded: line.encoded };
  });
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  const rss = sampler.stop();
  if (code !== 0 || !cpu) throw new Error(`the encoder process for ${plan.variant} exited with ${code}`);
  return { seconds: (performance.now() - started) / 1000, cpu, rss, chunks };
}
