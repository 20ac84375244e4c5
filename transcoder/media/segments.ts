/**
 * What chunk and placeholder encodes share: where a slot's segments go, one file per rendition, and what
 * an encode says about them.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Rendition } from '../../contracts/storage.ts';
import type { SegmentTarget } from './encoder.ts';
import type { Resolution } from './renditions.ts';
import type { SlotTiming } from './timing.ts';

export type RenditionSizes = Partial<Record<Rendition, Resolution>>;

/** Segments of a slot as encoded, with the slot as it landed on the frame grid. */
export interface SegmentsResult {
  /** `outDir/<rendition>/<name>.ts` for every rendition asked for. */
  segments: Partial<Record<Rendition, string>>;
  /** The slot on the frame grid: EXTINF is `durationSec`, the timestamps start at `TIMELINE_BASE_OFFSET_SEC + startSec`. */
  timing: Pick<SlotTiming, 'startSec' | 'durationSec' | 'frameCount'>;
}

/** What an encode of `targets` over the slot placed as `t` made. */
export function encoded(targets: readonly SegmentTarget[], t: SlotTiming): SegmentsResult {
  return {
    segments: Object.fromEntries(targets.map((s) => [s.rendition, s.target])),
    timing: { startSec: t.startSec, durationSec: t.durationSec, frameCount: t.frameCount },
  };
}

/** Each rendition's segment file, `outDir/<rendition>/<name>.ts`, its folder made. */
export async function segmentTargets(
  outDir: string,
  name: string,
  renditions: Rendition[],
  sizes: RenditionSizes,
): Promise<SegmentTarget[]> {
  const targets: SegmentTarget[] = [];
  for (const rendition of renditions) {
    const size = sizes[rendition];
    if (!size) throw new RangeError(`no resolution given for rendition ${rendition}`);
    const dir = join(outDir, rendition);
    await mkdir(dir, { recursive: true });
    targets.push({ rendition, size, target: join(dir, `${name}.ts`) });
  }
  return targets;
}

/**
 * Removes what a failed run was to write, whatever of it exists: an output cut short never stays under
 * the name of a complete one.
 */
export async function removeFiles(files: readonly string[]): Promise<void> {
  await Promise.all(files.map((file) => rm(file, { force: true })));
}
