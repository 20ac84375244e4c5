/** Black-and-silence placeholder segments over the gaps of a timeline, and which segments exist already. */

import type { JobContext } from '../jobs/context.ts';
import { encodePlaceholder } from '../media/index.ts';
import type { AssetKeys } from '../storage/layout.ts';
import type { AssetProfile } from '../storage/records.ts';
import { placeholderSegmentName } from '../storage/segments.ts';
import type { FrameSpan } from '../timeline/grid.ts';
import { slotOf } from './chunk.ts';
import { uploadFiles, withWorkDir } from './files.ts';

/**
 * Which segments are complete in every rendition of the profile (outputs are uploaded in parallel, so one
 * rendition's object says nothing of the others), among those whose names start with `namePrefix`.
 */
export async function existingSegments(
  ctx: JobContext,
  keys: AssetKeys,
  profile: AssetProfile,
  namePrefix = '',
): Promise<(name: string) => boolean> {
  const present = new Set<string>();
  for (const rendition of profile.renditions) {
    for (const object of await ctx.storage.list(`${keys.hls}${rendition}/${namePrefix}`, ctx.signal)) {
      present.add(object.key);
    }
  }
  return (name) => profile.renditions.every((rendition) => present.has(keys.segment(rendition, name)));
}

/** Encodes and uploads black-and-silence segments over `span` in every rendition of the profile. */
export async function makePlaceholder(
  ctx: JobContext,
  keys: AssetKeys,
  profile: AssetProfile,
  span: FrameSpan,
) {
  const name = placeholderSegmentName(profile, span);
  await withWorkDir(ctx, async (dir) => {
    const encoded = await encodePlaceholder(ctx.media, {
      outDir: dir,
      name,
      slot: slotOf(profile, span),
      renditions: profile.renditions,
      resolutions: profile.resolutions,
      fps: profile.fps,
      signal: ctx.signal,
    });
    await uploadFiles(
      ctx,
      profile.renditions.map((r) => [keys.segment(r, name), encoded.segments[r] ?? ''] as const),
    );
  });
  return name;
}
