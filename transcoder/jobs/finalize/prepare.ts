/**
 * Finalize's first part for one video asset: bring its segments up to date and plan its timeline. Its
 * steps: read the index of processed chunks, process the chunks no chunk job finished (all of them on
 * `reprocess`), then plan the timeline, re-encoding chunks cut by an overlap and making the placeholders
 * it needs. Every segment is uploaded here, before any playlist lists it.
 */
import type { FinalizeJob } from '../../../contracts/jobs.ts';
import type { RawChunk, VideoAsset } from '../../../contracts/storage.ts';
import { framesAvailable } from '../../events.ts';
import type { Logger } from '../../log.ts';
import { mapLimit } from '../../parallel.ts';
import { CutFailedError, encodeCut, processChunk } from '../../processing/chunk.ts';
import { existingSegments, makePlaceholder } from '../../processing/placeholder.ts';
import { type AssetKeys, assetKeys, sessionOf } from '../../storage/layout.ts';
import {
  type AssetProfile,
  ChunkEntry,
  gridOf,
  loadProfile,
  profileSignature,
  UndecodableEntry,
  undecodableEntry,
} from '../../storage/records.ts';
import { segmentNameOf } from '../../storage/segments.ts';
import { chunkSlotMs, dedupeChunks, isCut, slotChunks } from '../../timeline/chunks.ts';
import { planTimeline } from '../../timeline/plan.ts';
import type { JobContext } from '../context.ts';
import type { FinalizedAsset, PackagedVideo } from './manifest.ts';

// Index entries are small JSON objects: read this many at a time.
const READ_PARALLELISM = 16;

/** The session timeline in server time: earliest chunk start to latest chunk end over every video asset. */
export type Bounds = { startMs: number; endMs: number };

/** What is known of an asset's chunks, by file name: decodable ones' entries and the gaps' records. */
interface ChunkIndex {
  entries: Map<string, ChunkEntry>;
  undecodable: Map<string, UndecodableEntry>;
}

/** One asset's part of a finalize. */
interface AssetStep {
  ctx: JobContext;
  job: FinalizeJob;
  keys: AssetKeys;
  log: Logger;
}

/** Reads the index entries of the listed chunks that were processed with the current profile. */
async function readIndex(
  { ctx, keys }: AssetStep,
  chunks: RawChunk[],
  profile: AssetProfile | null,
): Promise<ChunkIndex> {
  const index: ChunkIndex = { entries: new Map(), undecodable: new Map() };
  const indexed = new Set((await ctx.storage.list(keys.cache, ctx.signal)).map((object) => object.key));
  const signature = profile && profileSignature(profile);
  await mapLimit(chunks, READ_PARALLELISM, async (chunk, _, signal) => {
    if (indexed.has(keys.chunkEntry(chunk.fileName))) {
      const entry = await ctx.storage.getJson(keys.chunkEntry(chunk.fileName), ChunkEntry, signal);
      if (entry && entry.profile === signature) index.entries.set(chunk.fileName, entry);
    } else if (indexed.has(keys.undecodableEntry(chunk.fileName))) {
      const gap = await ctx.storage.getJson(keys.undecodableEntry(chunk.fileName), UndecodableEntry, signal);
      if (gap) index.undecodable.set(chunk.fileName, gap);
    }
  });
  return index;
}

/**
 * Processes the chunks the index does not know, adding them to it and announcing their frames; returns
 * the asset's profile, made by the first of them when no chunk job had made it.
 */
async function processMissing(
  step: AssetStep,
  chunks: { kept: RawChunk[]; duplicates: number },
  index: ChunkIndex,
  existing: AssetProfile | null,
): Promise<AssetProfile | null> {
  const { ctx, job, keys, log } = step;
  const { kept, duplicates } = chunks;
  const todo = kept.filter((c) => !index.entries.has(c.fileName) && !index.undecodable.has(c.fileName));
  log.info('chunks to process', { chunks: kept.length, todo: todo.length, duplicates });
  let profile = existing;
  let processed = 0;
  const processOne = async (chunk: RawChunk, signal: AbortSignal) => {
    const outcome = await processChunk({ ...ctx, signal }, keys, chunk);
    if (outcome.decodable) {
      index.entries.set(chunk.fileName, outcome.entry);
      await ctx.reporter.event(framesAvailable(sessionOf(job), chunk, outcome.entry.frame_keys, ctx.now()));
    } else {
      index.undecodable.set(chunk.fileName, outcome.entry);
    }
    log.progress('chunks', ++processed / todo.length, { chunk: chunk.fileName });
    return outcome;
  };
  // Until the asset has a profile, one chunk at a time: the first whose probe passes makes it (even if its
  // encode then fails), where chunks encoded side by side could each make their own on a store that
  // ignores the write's condition.
  let next = 0;
  for (const chunk of todo) {
    if (profile) break;
    next++;
    const outcome = await processOne(chunk, ctx.signal);
    profile = outcome.decodable ? outcome.profile : await loadProfile(ctx.storage, keys, ctx.signal);
  }
  // Then one chunk per media slot and one more, whose transfers overlap the encodes, as the consumer runs.
  await mapLimit(
    todo.slice(next),
    ctx.settings.mediaSlots + 1,
    (chunk, _, signal) => processOne(chunk, signal),
    ctx.signal,
  );
  return profile;
}

/**
 * Plans the timeline of the decodable chunks and makes the segments it lacks: cut chunks re-encoded over
 * their shorter span, and placeholders. A chunk whose cut cannot be encoded (its object replaced by one
 * that no longer decodes) leaves the timeline as a gap, recorded in the index, and the timeline is planned
 * again without it: each round drops one chunk at least. `null` when no chunk is left.
 */
async function planWithCuts(
  step: AssetStep,
  profile: AssetProfile,
  chunks: { named: RawChunk[]; decodable: RawChunk[] },
  index: ChunkIndex,
  bounds: Bounds,
): Promise<PackagedVideo | null> {
  const { ctx, job, keys, log } = step;
  const grid = gridOf(profile);
  const existing = job.reprocess ? () => false : await existingSegments(ctx, keys, profile);
  const made = new Set<string>();
  const done = (name: string) => made.has(name) || existing(name);
  let placed = chunks.decodable;
  while (placed.length > 0) {
    const { slotted, dropped } = slotChunks(grid, placed);
    const timeline = planTimeline({
      grid,
      chunks: slotted,
      ...bounds,
      gapThresholdMs: ctx.settings.gapThresholdMs,
    });
    const missing = timeline.items.filter(
      (item) =>
        (item.kind === 'placeholder' || isCut(item.chunk)) && !done(segmentNameOf(profile, item, 'vod')),
    );
    const failed = new Set<string>();
    let finished = 0;
    await mapLimit(
      missing,
      ctx.settings.mediaSlots + 1,
      async (item, _, signal) => {
        const at = { ...ctx, signal };
        try {
          if (item.kind === 'placeholder') await makePlaceholder(at, keys, profile, item.span);
          else await encodeCut(at, keys, profile, item.chunk, item.span);
          made.add(segmentNameOf(profile, item, 'vod'));
        } catch (error) {
          if (!(item.kind === 'chunk' && error instanceof CutFailedError)) throw error;
          log.warn('chunk is a gap', { chunk: item.chunk.fileName, reason: error.message });
          // The chunk as named, not as slotted, like every other gap record.
          const named = chunks.named.find((chunk) => chunk.key === item.chunk.key);
          index.undecodable.set(item.chunk.fileName, undecodableEntry(named ?? item.chunk, error.message));
          failed.add(item.chunk.key);
        }
        log.progress('gaps and cuts', ++finished / missing.length);
      },
      ctx.signal,
    );
    if (failed.size === 0) {
      log.info('timeline planned', {
        items: timeline.items.length,
        placeholders: timeline.items.filter((item) => item.kind === 'placeholder').length,
        encoded: made.size,
      });
      return { profile, timeline, dropped };
    }
    placed = placed.filter((chunk) => !failed.has(chunk.key));
  }
  return null;
}

/** Brings an asset's segments up to date and plans its timeline. */
export async function prepareAsset(
  ctx: JobContext,
  job: FinalizeJob,
  asset: VideoAsset,
  chunks: { inside: RawChunk[]; outside: RawChunk[] },
  bounds: Bounds,
): Promise<FinalizedAsset> {
  const keys = assetKeys({ ...sessionOf(job), asset });
  const step: AssetStep = { ctx, job, keys, log: ctx.log.child({ asset }) };
  const { kept, duplicates } = dedupeChunks(chunks.inside);
  const known = await loadProfile(ctx.storage, keys, ctx.signal);
  const index: ChunkIndex = job.reprocess
    ? { entries: new Map(), undecodable: new Map() }
    : await readIndex(step, kept, known);
  const profile = await processMissing(step, { kept, duplicates: duplicates.length }, index, known);

  const listed = [...chunks.inside, ...chunks.outside];
  const outOfWindow = new Set(chunks.outside.map((chunk) => chunk.key));
  const base = { asset, keys, listed, outOfWindow, duplicates, ...index };
  // Each chunk fills the slot it was encoded for (see `chunkSlotMs`); the rest of its name's span is a gap.
  const decodable = kept.flatMap((chunk) => {
    const entry = index.entries.get(chunk.fileName);
    return entry ? [{ ...chunk, durationMs: chunkSlotMs(chunk.durationMs, entry.source.duration_sec) }] : [];
  });
  if (!profile || decodable.length === 0) return base;
  const video = await planWithCuts(step, profile, { named: kept, decodable }, index, bounds);
  return video ? { ...base, video } : base;
}
