/**
 * Finalize's derived files of a video asset, made from its VOD segments once they are all uploaded: the
 * storyboard the player previews the timeline with, and the stitched MP4.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { buildStoryboard, stitch } from '../../media/index.ts';
import { mapLimit } from '../../parallel.ts';
import { renditionPlaylist } from '../../playlists/asset.ts';
import { uploadFiles, withWorkDir } from '../../processing/files.ts';
import { gridOf } from '../../storage/records.ts';
import { segmentNameOf } from '../../storage/segments.ts';
import { secondsOf } from '../../timeline/grid.ts';
import type { JobContext } from '../context.ts';
import type { FinalizedAsset } from './manifest.ts';
import type { PlannedAsset } from './prepare.ts';

/**
 * Makes the storyboard (from the smallest rendition) and the stitched MP4 (from the largest) out of local
 * copies of the segments, played through the same playlist text as the VOD.
 */
export async function writeDerived(ctx: JobContext, asset: PlannedAsset): Promise<FinalizedAsset> {
  const { keys, video } = asset;
  if (!video) return { ...asset, video: undefined };
  const { profile, timeline } = video;
  const log = ctx.log.child({ asset: asset.asset });
  const smallest = profile.renditions[0];
  const largest = profile.renditions.at(-1);
  if (!smallest || !largest) throw new Error('an asset profile without renditions');
  return withWorkDir(ctx, async (dir) => {
    const local = (rendition: typeof smallest) => join(dir, `index_${rendition}.m3u8`);
    for (const rendition of new Set([smallest, largest])) {
      await mkdir(join(dir, rendition), { recursive: true });
      const names = [...new Set(timeline.items.map((item) => segmentNameOf(profile, item, 'vod')))];
      let fetched = 0;
      await mapLimit(
        names,
        8,
        async (name, _, signal) => {
          await ctx.storage.download(
            keys.segment(rendition, name),
            join(dir, keys.segmentUri(rendition, name)),
            signal,
          );
          log.progress(`download ${rendition}`, ++fetched / names.length);
        },
        ctx.signal,
      );
      await writeFile(
        local(rendition),
        renditionPlaylist(profile, timeline.items, 'vod', (name) => keys.segmentUri(rendition, name)),
      );
    }
    const durationSec = secondsOf(gridOf(profile), timeline.span.frames);
    const storyboard = await buildStoryboard({
      source: local(smallest),
      durationSec,
      outDir: join(dir, 'storyboard'),
      signal: ctx.signal,
    });
    const storyboardFiles = [storyboard.vtt, ...storyboard.sheets].map(
      (file) => [`${keys.thumbnails}${basename(file)}`, file] as const,
    );
    await uploadFiles(ctx, storyboardFiles);
    log.info('storyboard written', { sheets: storyboard.sheets.length });

    const stitched = await stitch({
      playlist: local(largest),
      output: join(dir, 'recording.mp4'),
      signal: ctx.signal,
      onProgress: (fraction) => log.progress('stitch', fraction),
    });
    await ctx.storage.upload(keys.stitched, stitched.output, ctx.signal);
    log.info('stitched video written', { durationSec: stitched.durationSec });
    const [vtt, ...sheets] = storyboardFiles.map(([key]) => key);
    return { ...asset, video: { ...video, storyboard: { vtt: vtt ?? '', sheets } } };
  });
}
