/**
 * What chunk and placeholder encodes share: where a slot's segments go, one file per rendition, and what
 * an encode says about them.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
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

/** The slot as encoded, as `SegmentsResult` reports it. */
export function encodedTiming(t: SlotTiming): SegmentsResult['timing'] {
  return { startSec: t.startSec, durationSec: t.durationSec, frameCount: t.frameCount };
}

/** Segment files written under a temporary name beside their final one, renamed on success. */
export async function stageSegments(
  outDir: string,
  name: string,
  renditions: Rendition[],
  sizes: RenditionSizes,
) {
  const tag = randomUUID();
  const targets: (SegmentTarget & { final: string })[] = [];
  for (const rendition of renditions) {
    const size = sizes[rendition];
    if (!size) throw new RangeError(`no resolution given for rendition ${rendition}`);
    const dir = join(outDir, rendition);
    await mkdir(dir, { recursive: true });
    targets.push({
      rendition,
      size,
      target: join(dir, `.${name}.${tag}.ts`),
      final: join(dir, `${name}.ts`),
    });
  }
  return {
    targets,
    async publish(): Promise<Partial<Record<Rendition, string>>> {
      const segments: Partial<Record<Rendition, string>> = {};
      for (const t of targets) {
        await rename(t.target, t.final);
        segments[t.rendition] = t.final;
      }
      return segments;
    },
    async discard(): Promise<void> {
      await Promise.all(targets.map((t) => rm(t.target, { force: true })));
    },
  };
}
