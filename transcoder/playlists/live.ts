/**
 * Extends an asset's live EVENT playlists (`playlist_cache/live_<rendition>.m3u8`) after a chunk job.
 * The playlist is recomputed from a listing of the chunk index (what is processed, and when each entry
 * was written) and the clock, by the release rule in `timeline/live.ts`; that rule only ever appends, so
 * concurrent chunk jobs converge. A job that finds a longer playlist already written leaves it alone,
 * so a slow job cannot shorten what a faster one published.
 */
import type { JobContext } from '../jobs/context.ts';
import { existingSegments, makePlaceholder } from '../processing/placeholder.ts';
import type { AssetKeys } from '../storage/layout.ts';
import { type AssetProfile, gridOf, listIndex } from '../storage/records.ts';
import { placeholderSegmentName } from '../storage/segments.ts';
import { planLive, releaseForLive } from '../timeline/live.ts';
import { assetMaster, renditionPlaylist } from './asset.ts';
import { readMediaPlaylist } from './hls.ts';

/** Recomputes and, where it grew, rewrites the asset's live playlists; returns how many segments they list. */
export async function updateLivePlaylists(
  ctx: JobContext,
  keys: AssetKeys,
  profile: AssetProfile,
): Promise<number> {
  const indexed = await listIndex(ctx.storage, keys, ctx.signal);
  const released = releaseForLive(indexed, ctx.now(), ctx.settings.liveHoldMs);
  const items = planLive(gridOf(profile), released, ctx.settings.gapThresholdMs);
  if (items.length === 0) return 0;

  const placeholders = items.flatMap((item) => (item.kind === 'placeholder' ? [item.span] : []));
  if (placeholders.length > 0) {
    const done = await existingSegments(ctx, keys, profile, 'gap-');
    for (const span of placeholders) {
      if (!done(placeholderSegmentName(profile, span))) await makePlaceholder(ctx, keys, profile, span);
    }
  }

  for (const rendition of profile.renditions) {
    const key = keys.livePlaylist(rendition);
    const current = await ctx.storage.getText(key, ctx.signal);
    const published = current === null ? 0 : (readMediaPlaylist(current)?.segments.length ?? 0);
    if (published >= items.length) continue;
    await ctx.storage.putText(
      key,
      renditionPlaylist(profile, items, 'event', (name) => keys.liveSegmentUri(rendition, name)),
    );
  }
  await ctx.storage.putText(
    keys.liveMaster,
    assetMaster(profile, (rendition) => keys.livePlaylist(rendition).slice(keys.cache.length)),
    { onlyIfAbsent: true },
  );
  return items.length;
}
