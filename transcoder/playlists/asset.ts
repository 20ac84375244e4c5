/** From a planned timeline and an asset profile to playlist text, for the live and the VOD playlists alike. */
import type { Rendition } from '../../contracts/storage.ts';
import { RENDITION_LADDER } from '../media/index.ts';
import { type AssetProfile, gridOf } from '../storage/records.ts';
import { segmentNameOf } from '../storage/segments.ts';
import type { TimelineChunk } from '../timeline/chunks.ts';
import { secondsOf } from '../timeline/grid.ts';
import type { TimelineItem } from '../timeline/plan.ts';
import { masterPlaylist, mediaPlaylist, type PlaylistKind } from './hls.ts';

/** One rendition's media playlist over the items. */
export function renditionPlaylist<T extends TimelineChunk & { fileName: string }>(
  profile: AssetProfile,
  items: readonly TimelineItem<T>[],
  kind: PlaylistKind,
  uri: (name: string) => string,
): string {
  const grid = gridOf(profile);
  return mediaPlaylist(
    items.map((item) => ({
      uri: uri(segmentNameOf(profile, item, kind)),
      duration: secondsOf(grid, item.duration),
    })),
    kind,
  );
}

/** The master playlist of an asset: one variant per rendition of its profile. */
export function assetMaster(profile: AssetProfile, uri: (rendition: Rendition) => string): string {
  return masterPlaylist(
    profile.renditions.map((rendition) => {
      const resolution = profile.resolutions[rendition];
      if (!resolution) throw new Error(`the asset profile has no size for ${rendition}`);
      return {
        uri: uri(rendition),
        bandwidth: RENDITION_LADDER[rendition].bandwidth,
        codecs: RENDITION_LADDER[rendition].codecs,
        resolution,
        frameRate: profile.fps,
      };
    }),
  );
}
