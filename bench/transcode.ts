/**
 * `npm run bench:transcode` — what the transcoder costs on a real browser recording, in one run:
 *
 * 1. The input: Chromium records a page with typing, scrolling and idle stretches through the recorder
 *    SDK's chunk recorder, 1080p VP8 chunks of 5 s (`transcode/recording.ts`; recorded once in real time,
 *    then cached).
 * 2. The service's chunk encode (`encodeChunk`) and candidate settings (`transcode/variants.ts`) against
 *    a plain one-pass x264 ladder (`transcode/ladder.ts`): CPU-seconds per recorded hour, speed, SSIM and
 *    bytes per rendition, peak memory (`transcode/compare.ts`).
 * 3. Sessions per transcoder: how many sessions uploading at once the encode keeps up with, and the
 *    frames-available latency at that load (`transcode/load.ts`), for the service and the first candidate.
 * 4. The transcoder process end to end on a local S3 + SQS: chunk jobs, finalize of the recording's
 *    session and of one six times as long (`transcode/transcoder.ts`).
 *
 * Environment: `BENCH_RECORDING_MINUTES` (default 10), `BENCH_VARIANTS` (comma-separated names, or `all`;
 * default the service and the recommended settings), `BENCH_LOAD_SECONDS` (upload time of each load trial,
 * default 90; 0 skips step 3), `BENCH_END_TO_END` (0 skips step 4).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { comparePipelines } from './transcode/compare.ts';
import { sessionsPerTranscoder } from './transcode/load.ts';
import { assertSamePlan, chunkTasks, mediaRunner } from './transcode/pipeline.ts';
import { benchRecording, CACHE, type Recording } from './transcode/recording.ts';
import { comparisonTable, endToEndTable, loadTable } from './transcode/report.ts';
import { startLocalTranscoder } from './transcode/transcoder.ts';
import { VARIANTS, variantNamed } from './transcode/variants.ts';

const run = promisify(execFile);
const SESSION = '10101010-1010-4010-8010-101010101010';
const LONG_SESSION = '60606060-6060-4060-8060-606060606060';
/** The settings this benchmark recommends, run beside the service by default. */
const RECOMMENDED = 'vfr-fast-crf24';

function numberFrom(name: string, fallback: number): number {
  const value = process.env[name] === undefined ? fallback : Number(process.env[name]);
  if (!(Number.isFinite(value) && value >= 0)) throw new Error(`${name} must be a number ≥ 0`);
  return value;
}

const config = {
  minutes: numberFrom('BENCH_RECORDING_MINUTES', 10),
  variants: (process.env.BENCH_VARIANTS ?? `service,${RECOMMENDED}`).trim(),
  loadSeconds: numberFrom('BENCH_LOAD_SECONDS', 90),
  endToEnd: process.env.BENCH_END_TO_END !== '0',
};
const variants = config.variants === 'all' ? VARIANTS : config.variants.split(',').map(variantNamed);

/** The recording's frames per second on average: its video packets over its length. */
async function averageFps(recording: Recording): Promise<number> {
  const { stdout } = await run('ffprobe', [
    ...['-v', 'error', '-select_streams', 'v:0', '-count_packets'],
    ...['-show_entries', 'stream=nb_read_packets', '-of', 'csv=p=0', recording.joined],
  ]);
  return Number(stdout.trim()) / recording.seconds;
}

async function main() {
  const loadAtStart = loadavg();
  const recording = await benchRecording({
    minutes: config.minutes,
    width: 1920,
    height: 1080,
    chunkMs: 5000,
    // What the candidates' Chrome records for the service. The SDK (`recorder/capture.ts`) prefers H.264
    // where MediaRecorder offers it, which this Chromium does; VP8 is what the transcoder is tuned for here.
    mimeType: 'video/webm;codecs=vp8',
    seed: 20_261_129,
  });
  await mkdir(CACHE, { recursive: true });
  const runDir = await mkdtemp(join(CACHE, 'run-'));
  try {
    const { tasks, undecodable } = await chunkTasks(mediaRunner(2), recording);
    const first = tasks[0];
    if (!first) throw new Error('the recording has no chunk');
    await assertSamePlan(first, runDir);
    const comparison = await comparePipelines(recording, tasks, variants, runDir);

    const loads = [];
    if (config.loadSeconds > 0) {
      for (const pipeline of comparison.pipelines.slice(0, 2)) {
        console.error(`sessions per transcoder, ${pipeline.variant.name}…`);
        const cpuPerChunk = (pipeline.run.cpu.media + pipeline.run.cpu.node) / tasks.length;
        const estimate = Math.floor((2 * recording.options.chunkMs) / 1000 / cpuPerChunk);
        const found = await sessionsPerTranscoder(tasks, {
          variant: pipeline.variant.name,
          estimate,
          seconds: config.loadSeconds,
          chunkMs: recording.options.chunkMs,
          runDir,
        });
        loads.push({ variant: pipeline.variant.name, estimate, ...found });
      }
    }

    let endToEnd: string | undefined;
    if (config.endToEnd) {
      const transcoder = await startLocalTranscoder(runDir);
      try {
        console.error('the transcoder end to end: chunk jobs…');
        const phase = await transcoder.processChunks(SESSION, recording.chunks);
        console.error('finalize…');
        const short = await transcoder.finalize(SESSION);
        await transcoder.synthesizeLong(SESSION, LONG_SESSION, recording.seconds);
        const long = await transcoder.finalize(LONG_SESSION);
        endToEnd = endToEndTable({
          chunks: recording.chunks.length,
          recordedSec: recording.seconds,
          phase,
          short,
          long,
        });
      } finally {
        await transcoder.stop();
      }
    }

    const fmt = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
    console.log(`\n## transcoder benchmark — ${new Date().toISOString()}`);
    console.log(
      `\n${cpus().length} × ${cpus()[0]?.model}; load average ${fmt(loadAtStart)} at the start, ${fmt(loadavg())} at the end.`,
    );
    console.log(
      `Recording: ${recording.chunks.length} chunks, ${recording.seconds.toFixed(1)} s, ${recording.options.width}×${recording.options.height} ${recording.options.mimeType}, ${(await averageFps(recording)).toFixed(1)} frames/s on average, ${undecodable} chunks without a frame (left out, their time held by the chunk before), Chromium ${recording.chromium}.\n`,
    );
    console.log(comparisonTable(comparison, recording.seconds));
    if (loads.length > 0) console.log(`\n${loadTable(loads)}`);
    if (endToEnd) console.log(`\n${endToEnd}`);
  } finally {
    await rm(runDir, { recursive: true, force: true });
  }
}

await main();
