/**
 * Finalize's work after the session is ready: each video asset's storyboard (the timeline previews) and
 * stitched MP4, made from its VOD segments. The storyboards go first, being quick and what a reviewer sees;
 * each file, once written, is marked available in the manifest and then announced. None of this can fail
 * the session: a failure is left to the queue's retries, and the run again keeps what is available
 * (`progress.ts`); on the last attempt the file is marked `failed` in the manifest instead.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { FinalizeJob } from '../../../contracts/jobs.ts';
import type { Rendition } from '../../../contracts/storage.ts';
import { stitchedVideoAvailable, storyboardAvailable } from '../../events.ts';
import { describeError } from '../../log.ts';
import { buildStoryboard, stitch } from '../../media/index.ts';
import { mapLimit } from '../../parallel.ts';
import { renditionPlaylist } from '../../playlists/asset.ts';
import { uploadFiles, withWorkDir } from '../../processing/files.ts';
import { sessionOf } from '../../storage/layout.ts';
import { gridOf } from '../../storage/records.ts';
import { segmentNameOf } from '../../storage/segments.ts';
import { secondsOf } from '../../timeline/grid.ts';
import { type JobContext, PermanentJobError } from '../context.ts';
import type { FinalizedAsset, PackagedVideo } from './manifest.ts';
import { type DerivedFiles, type DerivedKind, type Progress, wasAnnounced } from './progress.ts';

/** A video asset with video on its timeline. */
type PlayableAsset = FinalizedAsset & { video: PackagedVideo };

/** The manifest as a run keeps it: its key, the progress it holds, and writing it with that progress. */
export interface ManifestRecord {
  key: string;
  progress: Progress;
  write(): Promise<void>;
}

/**
 * Runs `fn` on local copies of one rendition's segments, played through the same playlist text as the
 * VOD (`index_<rendition>.m3u8` in the work folder).
 */
async function withLocalVod<T>(
  ctx: JobContext,
  { keys, video }: PlayableAsset,
  rendition: Rendition,
  fn: (dir: string, playlist: string) => Promise<T>,
): Promise<T> {
  const { profile, timeline } = video;
  return withWorkDir(ctx, async (dir) => {
    await mkdir(join(dir, rendition), { recursive: true });
    const names = [...new Set(timeline.items.map((item) => segmentNameOf(profile, item, 'vod')))];
    let fetched = 0;
    await mapLimit(
      names,
      8,
      async (name, _, signal) => {
        const local = join(dir, keys.segmentUri(rendition, name));
        await ctx.storage.download(keys.segment(rendition, name), local, signal);
        ctx.log.progress(`download ${rendition}`, ++fetched / names.length);
      },
      ctx.signal,
    );
    const playlist = join(dir, `index_${rendition}.m3u8`);
    const text = renditionPlaylist(profile, timeline.items, 'vod', (name) =>
      keys.segmentUri(rendition, name),
    );
    await writeFile(playlist, text);
    return fn(dir, playlist);
  });
}

/** Makes and uploads the storyboard, from the smallest rendition. */
async function makeStoryboard(ctx: JobContext, asset: PlayableAsset): Promise<DerivedFiles['storyboard']> {
  const { profile, timeline } = asset.video;
  const smallest = profile.renditions[0];
  if (!smallest) throw new Error('an asset profile without renditions');
  return withLocalVod(ctx, asset, smallest, async (dir, playlist) => {
    const storyboard = await buildStoryboard(ctx.media, {
      source: playlist,
      durationSec: secondsOf(gridOf(profile), timeline.span.frames),
      outDir: join(dir, 'storyboard'),
      signal: ctx.signal,
    });
    const files = [storyboard.vtt, ...storyboard.sheets].map(
      (file) => [`${asset.keys.thumbnails}${basename(file)}`, file] as const,
    );
    await uploadFiles(ctx, files);
    ctx.log.info('storyboard written', { sheets: storyboard.sheets.length });
    const [vtt = '', ...sheets] = files.map(([key]) => key);
    return { status: 'available', vtt, sheets };
  });
}

/** Makes and uploads the stitched MP4, from the largest rendition. */
async function makeStitched(ctx: JobContext, asset: PlayableAsset): Promise<DerivedFiles['stitched_video']> {
  const largest = asset.video.profile.renditions.at(-1);
  if (!largest) throw new Error('an asset profile without renditions');
  return withLocalVod(ctx, asset, largest, async (dir, playlist) => {
    const stitched = await stitch(ctx.media, {
      playlist,
      output: join(dir, 'recording.mp4'),
      signal: ctx.signal,
      onProgress: (fraction) => ctx.log.progress('stitch', fraction),
    });
    await ctx.storage.upload(asset.keys.stitched, stitched.output, ctx.signal);
    ctx.log.info('stitched video written', { durationSec: stitched.durationSec });
    return { status: 'available', key: asset.keys.stitched };
  });
}

/** Makes one derived file of an asset into `files`; on the last attempt a failure is recorded there. */
async function make(ctx: JobContext, asset: PlayableAsset, files: DerivedFiles, kind: DerivedKind) {
  const at = { ...ctx, log: ctx.log.child({ asset: asset.asset }) };
  try {
    if (kind === 'storyboard') files.storyboard = await makeStoryboard(at, asset);
    else files.stitched_video = await makeStitched(at, asset);
    return null;
  } catch (error) {
    if (ctx.signal.aborted || !ctx.lastAttempt) throw error;
    const reason = describeError(error).slice(0, 1000);
    at.log.error(`${kind} failed at the last attempt; the session stays ready`, { reason });
    files[kind] = { status: 'failed', reason };
    return `${asset.asset} ${kind}: ${reason}`;
  }
}

/** The event that says an asset's derived file is available at `atMs`, or `null` while it is not. */
function availability(
  job: FinalizeJob,
  about: { asset: PlayableAsset['asset']; manifestKey: string },
  files: DerivedFiles,
  kind: DerivedKind,
  atMs: number,
) {
  const { storyboard, stitched_video: stitched } = files;
  if (kind === 'storyboard' && storyboard.status === 'available') {
    const { vtt, sheets } = storyboard;
    return storyboardAvailable(sessionOf(job), { ...about, vtt, sheets }, atMs);
  }
  if (kind === 'stitched_video' && stitched.status === 'available') {
    return stitchedVideoAvailable(sessionOf(job), { ...about, key: stitched.key }, atMs);
  }
  return null;
}

/** Publishes that a derived file is available, unless it is not or was announced for this package. */
async function announce(
  ctx: JobContext,
  job: FinalizeJob,
  manifest: ManifestRecord,
  asset: PlayableAsset,
  files: DerivedFiles,
  kind: DerivedKind,
) {
  const about = { asset: asset.asset, manifestKey: manifest.key };
  const event = availability(job, about, files, kind, ctx.now());
  if (!event) return;
  const announcement = { type: event.type, asset: asset.asset };
  if (wasAnnounced(manifest.progress, announcement)) return;
  await ctx.reporter.event(event);
  manifest.progress.announced.push(announcement);
  await manifest.write();
}

/**
 * Makes what `progress` does not have yet of every video asset, writing the manifest after each file and
 * each announcement. Rejects to have the job tried again; on the last attempt, once every file has had its
 * try, with a `PermanentJobError` naming what failed (the session stays ready).
 */
export async function finishDerived(
  ctx: JobContext,
  job: FinalizeJob,
  assets: readonly FinalizedAsset[],
  manifest: ManifestRecord,
): Promise<void> {
  const videos = assets.filter((asset): asset is PlayableAsset => asset.video !== undefined);
  const failed: string[] = [];
  for (const kind of ['storyboard', 'stitched_video'] as const) {
    for (const asset of videos) {
      const files = manifest.progress.derived[asset.asset];
      if (!files) continue;
      if (files[kind].status !== 'available') {
        const failure = await make(ctx, asset, files, kind);
        if (failure) failed.push(failure);
        await manifest.write();
      }
      await announce(ctx, job, manifest, asset, files, kind);
    }
  }
  if (failed.length > 0) {
    throw new PermanentJobError(`after the session was ready, failed: ${failed.join('; ')}`);
  }
}
