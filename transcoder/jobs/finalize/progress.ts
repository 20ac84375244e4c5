/**
 * What a finalize has done since the session became playable, kept in the manifest beside the package:
 * each video asset's `storyboard` and `stitched_video` (`pending` until written, `available` with their
 * keys, or `failed` once the queue has no retry left), and `announced`, the events published for the
 * package. So the manifest says at every moment what is there, and a finalize run again (a message
 * delivered again after a failed stitch, the operator's command) picks up where the last run stopped: it
 * keeps what is available, makes the rest, and announces only what was not announced yet. A `reprocess`,
 * or a package that changed, starts over. Pure.
 */
import { z } from 'zod';
import { VIDEO_ASSETS, type VideoAsset } from '../../../contracts/storage.ts';
import type { SessionPackage } from './manifest.ts';

const Pending = z.strictObject({ status: z.literal('pending') });
const Failed = z.strictObject({ status: z.literal('failed'), reason: z.string() });
const Storyboard = z.discriminatedUnion('status', [
  Pending,
  z.strictObject({ status: z.literal('available'), vtt: z.string(), sheets: z.array(z.string()) }),
  Failed,
]);
const StitchedVideo = z.discriminatedUnion('status', [
  Pending,
  z.strictObject({ status: z.literal('available'), key: z.string() }),
  Failed,
]);
const DerivedFiles = z.object({ storyboard: Storyboard, stitched_video: StitchedVideo });
/** A video asset's storyboard and stitched video, as far as they have come. */
export type DerivedFiles = z.infer<typeof DerivedFiles>;
export type DerivedKind = keyof DerivedFiles;

const Announcement = z.strictObject({
  type: z.enum(['session.processed', 'storyboard.available', 'stitched_video.available']),
  asset: z.enum(VIDEO_ASSETS).optional(),
});
/** An event published for the package: `session.processed`, or a derived file of an asset. */
export type Announcement = z.infer<typeof Announcement>;

/** The progress of a finalize's package. */
export interface Progress {
  derived: Partial<Record<VideoAsset, DerivedFiles>>;
  announced: Announcement[];
}

/** What the manifest of an earlier run holds of its progress; anything else in it is its package. */
const Recorded = z.looseObject({
  announced: z.array(Announcement),
  assets: z.record(
    z.string(),
    z.looseObject({ storyboard: Storyboard.optional(), stitched_video: StitchedVideo.optional() }),
  ),
});

/** The manifest to write: the package, each video asset with its derived files, and the announcements. */
export function manifestWith(pkg: SessionPackage, progress: Progress) {
  const assets: Record<string, unknown> = { ...pkg.assets };
  for (const [asset, derived] of Object.entries(progress.derived)) {
    assets[asset] = { ...(assets[asset] as object), ...derived };
  }
  return { ...pkg, assets, announced: progress.announced };
}

/**
 * A manifest as read, without its progress: what an earlier run's package was. Plain object operations,
 * not a schema's output, so its keys keep their order and compare as text with a package built now.
 */
function packageOf(manifest: Record<string, unknown>) {
  const { announced: _, ...rest } = manifest;
  const assets = Object.entries(rest.assets as Record<string, Record<string, unknown>>).map(
    ([asset, { storyboard: _s, stitched_video: _v, ...summary }]) => [asset, summary],
  );
  return { ...rest, assets: Object.fromEntries(assets) };
}

/**
 * Where this run starts: an earlier run's progress when its manifest (`previous`, as read) is of the same
 * package and this is no `reprocess`, with what failed there tried again; otherwise nothing made and
 * nothing announced.
 */
export function startProgress(
  pkg: SessionPackage,
  videos: readonly VideoAsset[],
  previous: unknown,
  reprocess: boolean,
): Progress {
  const recorded = reprocess ? undefined : Recorded.safeParse(previous).data;
  const same =
    recorded !== undefined &&
    JSON.stringify(packageOf(previous as Record<string, unknown>)) === JSON.stringify(pkg);
  const derived: Progress['derived'] = {};
  for (const asset of videos) {
    const earlier = same ? recorded.assets[asset] : undefined;
    derived[asset] = {
      storyboard: earlier?.storyboard?.status === 'available' ? earlier.storyboard : { status: 'pending' },
      stitched_video:
        earlier?.stitched_video?.status === 'available' ? earlier.stitched_video : { status: 'pending' },
    };
  }
  return { derived, announced: same ? recorded.announced : [] };
}

/** Whether the event was published for the package already. */
export function wasAnnounced(progress: Progress, event: Announcement): boolean {
  return progress.announced.some((a) => a.type === event.type && a.asset === event.asset);
}
