/**
 * The benchmark's tables, as Markdown: each pipeline against the reference ladder, sessions per
 * transcoder, and the transcoder end to end.
 */
import type { Comparison } from './compare.ts';
import type { LoadTrial } from './load.ts';
import type { RenditionFigures } from './quality.ts';
import type { ChunkPhase, FinalizePhase } from './transcoder.ts';

const MB = 1024 * 1024;
const mb = (bytes: number) => `${Math.round(bytes / MB)} MB`;
const table = (head: string[], rows: string[][]) =>
  [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');

/** The targets a candidate must meet against the ladder measured in the same run. */
export const TARGETS = { speed: 1.5, ssim: 0.97, bytes: 1.1, memoryBytes: 400 * MB };

/** Per pipeline: CPU per recorded hour, speed against the ladder, SSIM and bytes per rendition, memory. */
export function comparisonTable(c: Comparison, recordedSec: number): string {
  const perHour = (x: number) => (x * 3600) / recordedSec;
  const ladderCpu = c.ladder.runs.reduce((sum, r) => sum + r.cpuSeconds, 0) / c.ladder.runs.length;
  const ssims = (rs: RenditionFigures[]) => rs.map((r) => r.ssim.toFixed(4)).join(' / ');
  const bytes = (rs: RenditionFigures[]) => rs.map((r) => mb(perHour(r.videoBytes))).join(' / ');
  const ladderBytes = c.ladder.renditions;
  const head = [
    'pipeline',
    'CPU-s per recorded hour (ffmpeg + ffprobe; Node)',
    'speed: ladder CPU ÷ its CPU',
    'chunks it failed on (black gaps)',
    'SSIM 360p / 480p / 720p',
    'video bytes per recorded hour 360p / 480p / 720p',
    'bytes ÷ ladder, per rendition',
    'files per recorded hour, all renditions',
    'peak memory: encoder process + ffmpeg, each page once (ffmpeg alone)',
    'targets met',
  ];
  const rows = [
    [
      `reference ladder (${c.ladder.runs.map((r) => `${r.cpuSeconds.toFixed(0)}`).join(', then ')} CPU-s)`,
      perHour(ladderCpu).toFixed(0),
      '1.00',
      '—',
      ssims(ladderBytes),
      bytes(ladderBytes),
      '1.00',
      mb(perHour(ladderBytes.reduce((s, r) => s + r.fileBytes, 0))),
      `${mb(Math.max(...c.ladder.runs.map((r) => r.rss)))} (peak RSS)`,
      '—',
    ],
    ...c.pipelines.map((p) => {
      const speed = ladderCpu / p.run.cpu.media;
      const ratios = p.renditions.map((r, i) => r.videoBytes / (ladderBytes[i]?.videoBytes ?? Number.NaN));
      const met = [
        speed >= TARGETS.speed ? '' : 'speed',
        p.renditions.every((r) => r.ssim >= TARGETS.ssim) ? '' : 'SSIM',
        ratios.every((r) => r <= TARGETS.bytes) ? '' : 'bytes',
        p.run.rss.treeOnce <= TARGETS.memoryBytes ? '' : 'memory',
      ].filter(Boolean);
      return [
        `${p.variant.name}: ${p.variant.summary}`,
        `${perHour(p.run.cpu.media).toFixed(0)}; ${perHour(p.run.cpu.node).toFixed(0)}`,
        `**${speed.toFixed(2)}**`,
        `${p.run.chunks.filter((c) => !c.encoded).length} of ${p.run.chunks.length}`,
        ssims(p.renditions),
        bytes(p.renditions),
        ratios.map((r) => r.toFixed(2)).join(' / '),
        mb(perHour(p.renditions.reduce((s, r) => s + r.fileBytes, 0))),
        `${mb(p.run.rss.treeOnce)} (${mb(p.run.rss.childrenOnce)})`,
        met.length === 0 ? '**all**' : `not ${met.join(', ')}`,
      ];
    }),
  ];
  return table(head, rows);
}

/** Every load trial, and the most sessions that kept up, per pipeline. */
export function loadTable(
  results: Array<{ variant: string; sessions: number; trials: LoadTrial[] }>,
): string {
  const rows = results.flatMap((r) =>
    r.trials.map((t) => [
      r.variant,
      String(t.sessions),
      String(t.chunks),
      `${(t.p50Ms / 1000).toFixed(2)} / **${(t.p95Ms / 1000).toFixed(2)}** / ${(t.maxMs / 1000).toFixed(2)}`,
      t.keptUp ? 'yes' : 'no',
      `${((100 * t.cpuSec) / (2 * t.seconds)).toFixed(0)} %`,
      t.sessions === r.sessions ? `**${r.sessions} sessions**` : '',
    ]),
  );
  return table(
    [
      'pipeline',
      'sessions at once',
      'chunks',
      'frames-available latency p50 / p95 / max, s',
      'kept up (p95 ≤ chunk length)',
      'the encoder process’s share of 2 cores',
      'sessions per transcoder',
    ],
    rows,
  );
}

/** The transcoder process on a local S3 and SQS: chunk jobs, then finalize of the session and of one 6× as long. */
export function endToEndTable(o: {
  chunks: number;
  recordedSec: number;
  phase: ChunkPhase;
  short: FinalizePhase;
  long: FinalizePhase;
}): string {
  const cpuSec = o.phase.cpu.node + o.phase.cpu.ffmpeg;
  const fin = (f: FinalizePhase) =>
    `playlists ${f.playlistsSec.toFixed(2)} s, ready ${f.readySec.toFixed(2)} s; then storyboard +${f.storyboardSec.toFixed(1)} s, stitched MP4 +${f.stitchSec.toFixed(1)} s (job done ${f.totalSec.toFixed(1)} s); peak ${mb(f.rss.treeOnce)} each page once`;
  return table(
    ['measure', 'result'],
    [
      [
        `chunk jobs: ${o.chunks} chunks through \`transcoder/main.ts\` (2 ffmpeg runs, 3 jobs at a time; downloads, uploads, index entries and live playlists included)`,
        `${(o.recordedSec / o.phase.seconds).toFixed(1)}× realtime wall; ${cpuSec.toFixed(0)} CPU-s (ffmpeg ${o.phase.cpu.ffmpeg.toFixed(0)}, Node ${o.phase.cpu.node.toFixed(0)}) = ${((cpuSec * 3600) / o.recordedSec).toFixed(0)} CPU-s per recorded hour`,
      ],
      [
        'meanwhile the benchmark process (local S3 and SQS by fauxqs, /proc sampling)',
        `${o.phase.benchCpuSec.toFixed(0)} CPU-s`,
      ],
      [
        'peak memory, chunk jobs: Node + 2 ffmpeg, each resident page once (sum of PSS; sum of RSS)',
        `**${mb(o.phase.rss.treeOnce)}** (${mb(o.phase.rss.treePss)}; ${mb(o.phase.rss.tree)}, Node ${mb(o.phase.rss.self)})`,
      ],
      ['finalize of the recorded session', fin(o.short)],
      ['finalize of a session 6× as long, already processed (target: playlists ≤ 5 s)', fin(o.long)],
    ],
  );
}
