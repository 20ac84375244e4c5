/**
 * The service's chunk encode and candidate settings against the reference ladder, on the same recording:
 * the ladder, then every pipeline encoding all the recording's chunks as fast as it can (all chunks
 * queued at once, 2 media slots, 3 jobs), then the ladder again, as the machine's speed drifts; then SSIM
 * and bytes of every rendition of each.
 */
import { join } from 'node:path';
import type { Rendition } from '../../contracts/storage.ts';
import { toLimitedBt709 } from '../../transcoder/media/colour.ts';
import { scaleCascade } from '../../transcoder/media/filters.ts';
import { DEFAULT_FPS, probeChunk, renditionSize, renditionsFor } from '../../transcoder/media/index.ts';
import { slotTiming } from '../../transcoder/media/timing.ts';
import { mapLimit } from '../../transcoder/parallel.ts';
import { type EncoderRun, runEncoder } from './encoder-run.ts';
import { type LadderRun, referenceLadder } from './ladder.ts';
import { type ChunkTask, mediaRunner, segmentFile } from './pipeline.ts';
import {
  concatList,
  fileBytes,
  playlist,
  type RenditionFigures,
  type Source,
  ssim,
  videoBytes,
} from './quality.ts';
import type { Recording } from './recording.ts';
import type { Variant } from './variants.ts';

export interface PipelineResult {
  variant: Variant;
  run: EncoderRun;
  renditions: RenditionFigures[];
}

export interface Comparison {
  ladder: { runs: LadderRun[]; renditions: RenditionFigures[] };
  pipelines: PipelineResult[];
}

/** Runs the ladder, each variant, the ladder again, then measures every rendition. */
export async function comparePipelines(
  recording: Recording,
  tasks: ChunkTask[],
  variants: Variant[],
  runDir: string,
): Promise<Comparison> {
  console.error('the reference ladder…');
  const before = await referenceLadder(recording.joined, join(runDir, 'ladder-before'));
  const runs: EncoderRun[] = [];
  for (const variant of variants) {
    console.error(`${variant.name}: encoding ${tasks.length} chunks…`);
    const outDir = join(runDir, variant.name);
    const plan = { variant: variant.name, outDir, mediaSlots: 2, concurrency: 3 };
    runs.push(
      await runEncoder({ ...plan, tasks: tasks.map((task) => ({ task, arriveAtMs: 0 })) }, `${outDir}.json`),
    );
  }
  console.error('the reference ladder again…');
  const after = await referenceLadder(recording.joined, join(runDir, 'ladder-after'));
  console.error('SSIM and bytes of every rendition…');
  const measured = await measureRenditions(recording, tasks, {
    pipelines: variants.map((v) => join(runDir, v.name)),
    ladder: before.outDir,
    runDir,
  });
  return {
    ladder: { runs: [before, after], renditions: measured.ladder },
    pipelines: variants.map((variant, i) => ({
      variant,
      run: runs[i] as EncoderRun,
      renditions: measured.pipelines[i] ?? [],
    })),
  };
}

/**
 * SSIM and bytes per rendition. The service's segments lie on its frame grid, each chunk in its slot
 * rounded to whole frames, so their reference is the chunks laid on that grid; the ladder keeps the
 * recording's own timeline, so its reference is the joined recording it encoded.
 */
async function measureRenditions(
  recording: Recording,
  tasks: ChunkTask[],
  o: { pipelines: string[]; ladder: string; runDir: string },
) {
  const first = tasks[0];
  if (!first) throw new Error('no chunk');
  const source = await probeChunk(mediaRunner(1), first.input);
  const renditions = renditionsFor(source.height);
  const onGrid = tasks.map((task) => slotTiming(task.slot, DEFAULT_FPS).frameCount / DEFAULT_FPS);
  const gridReference = await concatList(
    join(o.runDir, 'reference-grid.ffconcat'),
    tasks.map((task, i) => ({ file: task.input, durationSec: onGrid[i] ?? 0 })),
    true,
  );
  const segmentsOf = async (dir: string, rendition: Rendition) =>
    concatList(
      join(dir, `${rendition}.ffconcat`),
      tasks.map((task, i) => ({ file: segmentFile(dir, rendition, task.name), durationSec: onGrid[i] ?? 0 })),
    );
  // The service's scalers (`scaleCascade`): each size made once, from the smallest larger one, bilinear,
  // the first from the source with its range conversion; a rendition's reference goes down that chain.
  const steps = scaleCascade(renditions.map((r) => renditionSize(r, source)));
  const chain = (i: number): string => {
    const step = steps[i];
    if (!step) return '';
    const scale = `scale=${step.size.width}:${step.size.height}:flags=bilinear`;
    return step.from < 0 ? `${scale}:${toLimitedBt709(source)}` : `${chain(step.from)},${scale}`;
  };
  const figures = await mapLimit(renditions, 1, async (rendition) => {
    const size = renditionSize(rendition, source);
    const serviceScale = chain(
      steps.findIndex((s) => s.size.width === size.width && s.size.height === size.height),
    );
    const segments: Source[] = [];
    for (const dir of o.pipelines) segments.push(await segmentsOf(dir, rendition));
    const ladder = playlist(join(o.ladder, rendition, 'index.m3u8'));
    const [service, reference] = await Promise.all([
      ssim(gridReference, segments, { scale: serviceScale, fps: DEFAULT_FPS }),
      // The ladder's own scaler: swscale's default (bicubic), straight from the source, no range conversion.
      ssim({ input: ['-i', recording.joined] }, [ladder], {
        scale: `scale=-2:${size.height}`,
        fps: DEFAULT_FPS,
      }),
    ]);
    const figure = async (ssimAll: number, video: Source, dir: string): Promise<RenditionFigures> => ({
      rendition,
      ssim: ssimAll,
      videoBytes: await videoBytes(video),
      fileBytes: await fileBytes(dir),
    });
    return {
      pipelines: await Promise.all(
        o.pipelines.map((dir, i) =>
          figure(service[i] ?? Number.NaN, segments[i] as Source, join(dir, 'segments', rendition)),
        ),
      ),
      ladder: await figure(reference[0] ?? Number.NaN, ladder, join(o.ladder, rendition)),
    };
  });
  return {
    pipelines: o.pipelines.map((_, i) => figures.map((f) => f.pipelines[i] as RenditionFigures)),
    ladder: figures.map((f) => f.ladder),
  };
}
