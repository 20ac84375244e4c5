/**
 * `npm run bench:transcode` — the transcoder's throughput and footprint, in one run:
 *
 * 1. A 10-minute 1080p screen-like VFR session (120 VP8 chunks of 5 s, `transcode/fixtures.ts`) goes
 *    through `node transcoder/main.ts` as 120 chunk jobs on a local S3 + SQS (`transcode/transcoder.ts`),
 *    2 ffmpeg runs and 3 jobs at a time: realtime factor of chunk processing (3 renditions, frames and
 *    thumbnails, uploads, index and live playlists included).
 * 2. The same input through one plain ffmpeg one-pass ladder (`transcode/ladder.ts`): the reference,
 *    right before and right after chunk processing, as the machine's speed drifts.
 * 3. Finalize of the processed 10-minute session, and of a 60-minute one synthesized from it (its segments
 *    reused, re-timestamped into place, with index entries): time until the playlists are written, then
 *    until storyboard and stitched MP4 are done.
 * Peak memory is sampled from /proc over the transcoder's whole process tree (`transcode/footprint.ts`),
 * per phase, so finalize at 10 and 60 minutes shows whether memory grows with session length.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { CACHE, CHUNKS, type GeneratedChunk, generateSession, T0 } from './transcode/fixtures.ts';
import { referenceLadder } from './transcode/ladder.ts';
import { CYCLES, startLocalTranscoder } from './transcode/transcoder.ts';

const SHORT = '10101010-1010-4010-8010-101010101010';
const LONG = '60606060-6060-4060-8060-606060606060';
const MB = 1024 * 1024;

async function main() {
  const chunks = await generateSession();
  const runDir = await mkdtemp(join(CACHE, 'run-'));
  try {
    const transcoder = await startLocalTranscoder(runDir);
    try {
      const last = chunks.at(-1) as GeneratedChunk;
      const sessionSec = (last.startMs + last.durationMs - T0) / 1000;
      // The reference right before and right after chunk processing: the machine's speed drifts by a
      // tenth or more within minutes, so chunk processing is read against both.
      console.error('running the one-pass ffmpeg ladder on the same input…');
      const referenceBefore = await referenceLadder(chunks, runDir, 'before');
      console.error(
        `processing ${CHUNKS} chunks (${sessionSec.toFixed(1)} s of 1080p) through the transcoder…`,
      );
      const chunkPhase = await transcoder.processChunks(SHORT, chunks);
      console.error('running the one-pass ffmpeg ladder again…');
      const referenceAfter = await referenceLadder(chunks, runDir, 'after');
      console.error('finalizing the 10-minute session…');
      const short = await transcoder.finalize(SHORT);
      console.error(`synthesizing a ${CYCLES * 10}-minute processed session from it…`);
      await transcoder.synthesizeLong(SHORT, LONG, sessionSec);
      console.error(`finalizing the ${CYCLES * 10}-minute session…`);
      const long = await transcoder.finalize(LONG);

      const chunkSec = chunkPhase.seconds;
      const chunkCpu = chunkPhase.cpu;
      const chunkCpuSec = chunkCpu.node + chunkCpu.ffmpeg;
      const chunkRss = chunkPhase.rss;
      const mb = (bytes: number) => `${Math.round(bytes / MB)} MB`;
      const speed = (r: { seconds: number; cpuSeconds: number }) =>
        `${(sessionSec / r.seconds).toFixed(1)}× (${r.seconds.toFixed(1)} s, ${r.cpuSeconds.toFixed(0)} CPU-s)`;
      const rows: [string, string, string][] = [
        [
          `chunk processing: ${CHUNKS} × 5 s 1080p VFR, 3 renditions + frames, 2 ffmpeg runs and 3 jobs at a time`,
          `${(sessionSec / chunkSec).toFixed(1)}× realtime (${sessionSec.toFixed(0)} s in ${chunkSec.toFixed(1)} s)`,
          '≥ 8×',
        ],
        [
          `the same, by CPU time on ${cpus().length} cores (${chunkCpuSec.toFixed(0)} CPU-s: ffmpeg ${chunkCpu.ffmpeg.toFixed(0)}, Node ${chunkCpu.node.toFixed(0)}; less sensitive to other load)`,
          `${((sessionSec * cpus().length) / chunkCpuSec).toFixed(1)}× realtime`,
          '≥ 8×',
        ],
        [
          'meanwhile the benchmark process (local S3 and SQS by fauxqs, /proc sampling) on the same cores; cores busy',
          `${chunkPhase.benchCpuSec.toFixed(0)} CPU-s; ${((100 * (chunkCpuSec + chunkPhase.benchCpuSec)) / (chunkSec * cpus().length)).toFixed(0)} % of the time`,
          '—',
        ],
        [
          'reference: one plain ffmpeg one-pass ladder (360/480/720p, veryfast), right before and right after',
          `${[referenceBefore, referenceAfter].map(speed).join(', then ')}; peak RSS ${mb(Math.max(referenceBefore.rss, referenceAfter.rss))}`,
          '—',
        ],
        [
          'chunk processing ÷ reference (wall, against the mean of the two)',
          ((referenceBefore.seconds + referenceAfter.seconds) / 2 / chunkSec).toFixed(2),
          '—',
        ],
        [
          'peak memory during chunk processing: Node + 2 ffmpeg at once, sum of RSS (Node; largest ffmpeg)',
          `${mb(chunkRss.tree)} (${mb(chunkRss.self)}; ${mb(chunkRss.child)})`,
          '≤ 400 MB',
        ],
        [
          'the same, sum of PSS (shared pages split between the processes mapping them)',
          mb(chunkRss.treePss),
          '≤ 400 MB',
        ],
        ['the same, each resident page once (sampled every second)', mb(chunkRss.treeOnce), '≤ 400 MB'],
        ['finalize 10 min: playlists ready', `${short.playlistsSec.toFixed(2)} s`, ''],
        [
          'finalize 10 min: segments fetched + storyboard, then stitched MP4 + upload',
          `${short.storyboardSec.toFixed(1)} s + ${short.stitchSec.toFixed(1)} s (all done ${short.totalSec.toFixed(1)} s)`,
          '',
        ],
        [
          `finalize ${CYCLES * 10} min (already processed): playlists ready`,
          `${long.playlistsSec.toFixed(2)} s`,
          '≤ 5 s',
        ],
        [
          `finalize ${CYCLES * 10} min: segments fetched + storyboard, then stitched MP4 + upload`,
          `${long.storyboardSec.toFixed(1)} s + ${long.stitchSec.toFixed(1)} s (all done ${long.totalSec.toFixed(1)} s)`,
          'reported',
        ],
        [
          `peak RSS finalize 10 min → ${CYCLES * 10} min: Node + ffmpeg (Node; largest ffmpeg)`,
          `${mb(short.rss.tree)} → ${mb(long.rss.tree)} (${mb(short.rss.self)} → ${mb(long.rss.self)}; ${mb(short.rss.child)} → ${mb(long.rss.child)}); PSS ${mb(short.rss.treePss)} → ${mb(long.rss.treePss)}; each page once ${mb(short.rss.treeOnce)} → ${mb(long.rss.treeOnce)}`,
          '≤ 400 MB, flat',
        ],
      ];
      const load = loadavg().map((l) => l.toFixed(2));
      console.log(
        `\ntranscoder benchmark — ${new Date().toISOString()}, ${cpus().length} × ${cpus()[0]?.model}`,
      );
      console.log(
        `load average at the end: ${load.join(' ')} (other work on the machine skews the numbers)\n`,
      );
      console.log('| measure | result | target |\n|---|---|---|');
      for (const [measure, result, target] of rows) console.log(`| ${measure} | ${result} | ${target} |`);
    } finally {
      await transcoder.stop();
    }
  } finally {
    await rm(runDir, { recursive: true, force: true });
  }
}

await main();
