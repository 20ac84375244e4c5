/**
 * Writes an asset's finished (VOD) playlists: every variant, then the master, so a reader who finds the
 * master finds everything it leads to. The segments they list must be uploaded before.
 */
import type { JobContext } from '../jobs/context.ts';
import type { AssetKeys } from '../storage/layout.ts';
import type { AssetProfile } from '../storage/records.ts';
import type { TimelineChunk } from '../timeline/chunks.ts';
import type { TimelineItem } from '../timeline/plan.ts';
import { assetMaster, renditionPlaylist } from './asset.ts';

/** Writes the VOD variant playlists of the items, then the master. */
export async function writeVodPlaylists<T extends TimelineChunk & { fileName: string }>(
  ctx: JobContext,
  keys: AssetKeys,
  profile: AssetProfile,
  items: readonly TimelineItem<T>[],
) {
  for (const rendition of profile.renditions) {
    await ctx.storage.putText(
      keys.variantPlaylist(rendition),
      renditionPlaylist(profile, items, 'vod', (name) => keys.segmentUri(rendition, name)),
    );
  }
  await ctx.storage.putText(
    keys.master,
    assetMaster(profile, (rendition) => keys.variantPlaylist(rendition).slice(keys.hls.length)),
  );
}
