/**
 * The `chunk` job: a chunk landed in `raw/`; make its slot of the timeline now (segments in every
 * rendition, analysis frames, thumbnails), extend the live playlists and announce the frames.
 * Running it again finds the chunk's index entry and redoes only the cheap steps.
 */
import { type ChunkJob, chunkOfJob } from '../../contracts/jobs.ts';
import { chunkInSessionWindow, parseChunkKey, type RawChunk } from '../../contracts/storage.ts';
import { framesAvailable } from '../events.ts';
import { updateLivePlaylists } from '../playlists/live.ts';
import { type ChunkOutcome, processChunk } from '../processing/chunk.ts';
import { type AssetKeys, assetKeys, sessionOf } from '../storage/layout.ts';
import { ChunkEntry, loadProfile, profileSignature, UndecodableEntry } from '../storage/records.ts';
import { dedupeChunks } from '../timeline/chunks.ts';
import { type JobContext, PermanentJobError } from './context.ts';

/** The outcome of an earlier run, if one completed with the asset's current profile. */
async function earlierOutcome(
  ctx: JobContext,
  keys: AssetKeys,
  chunk: RawChunk,
): Promise<ChunkOutcome | null> {
  const profile = await loadProfile(ctx.storage, keys, ctx.signal);
  const entry =
    profile && (await ctx.storage.getJson(keys.chunkEntry(chunk.fileName), ChunkEntry, ctx.signal));
  if (profile && entry?.profile === profileSignature(profile)) return { decodable: true, entry, profile };
  const gap = await ctx.storage.getJson(keys.undecodableEntry(chunk.fileName), UndecodableEntry, ctx.signal);
  return gap ? { decodable: false, entry: gap } : null;
}

/** Whether another upload of the same seq stands for this one on the timeline (the rule of `dedupeChunks`). */
async function isDuplicate(
  ctx: JobContext,
  job: ChunkJob,
  keys: AssetKeys,
  chunk: RawChunk,
): Promise<boolean> {
  // Every chunk name of a seq starts with its six digits and a dash.
  const sameSeq = await ctx.storage.list(`${keys.raw}${chunk.fileName.slice(0, 7)}`, ctx.signal);
  const others = sameSeq.flatMap((object) => {
    const other = parseChunkKey(object.key, job.tenant_uuid, job.session_uuid);
    return other && other.key !== chunk.key ? [other] : [];
  });
  return dedupeChunks([chunk, ...others]).kept[0]?.key !== chunk.key;
}

/** Runs a chunk job. */
export async function runChunkJob(ctx: JobContext, job: ChunkJob): Promise<void> {
  const chunk = chunkOfJob(job);
  if (!chunk) {
    const described = job.seq === undefined ? 'a chunk of the session' : `chunk ${job.seq} of the session`;
    throw new PermanentJobError(`${job.key} is not ${described} as the job describes it`);
  }
  if (job.session_started_at && !chunkInSessionWindow(chunk, Date.parse(job.session_started_at))) {
    ctx.log.warn('chunk outside the session window; not part of the recording', { chunk: chunk.fileName });
    return;
  }
  const session = sessionOf(job);
  // A screenshot is a frame already: nothing to transcode.
  if (chunk.asset === 'screenshots') {
    await ctx.reporter.event(framesAvailable(session, chunk, [chunk.key], ctx.now()));
    return;
  }

  const keys = assetKeys({ ...session, asset: chunk.asset });
  if (await isDuplicate(ctx, job, keys, chunk)) {
    ctx.log.info('duplicate chunk; finalize keeps the other upload of this seq', { chunk: chunk.fileName });
    return;
  }
  const earlier = await earlierOutcome(ctx, keys, chunk);
  if (earlier) ctx.log.info('chunk already processed', { chunk: chunk.fileName });
  const outcome = earlier ?? (await processChunk(ctx, keys, chunk));
  const profile = outcome.decodable ? outcome.profile : await loadProfile(ctx.storage, keys, ctx.signal);
  if (profile) {
    const listed = await updateLivePlaylists(ctx, keys, profile);
    ctx.log.info('live playlists updated', { segments: listed });
  }
  if (outcome.decodable && outcome.entry.frame_keys.length > 0) {
    await ctx.reporter.event(framesAvailable(session, chunk, outcome.entry.frame_keys, ctx.now()));
  }
}
