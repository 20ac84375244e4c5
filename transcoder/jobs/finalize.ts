/**
 * The `finalize` job: the attempt ended; finish the package of every video asset on the session
 * timeline and mark the session ready.
 *
 * Order matters to readers: every segment (chunks not processed yet, re-encoded cut chunks, black
 * placeholders) is uploaded before any playlist that lists it; the VOD variant playlists come next and
 * the master last, so a reader who finds the master finds everything it leads to. The storyboard and
 * the stitched MP4 follow, then the manifest, and only then is the session reported ready.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { FailureCode, FinalizeJob } from '../../contracts/jobs.ts';
import { type Asset, sessionPrefix, VIDEO_ASSETS, type VideoAsset } from '../../contracts/storage.ts';
import { buildStoryboard, stitch } from '../media/index.ts';
import { StatusReportRejectedError } from '../report.ts';
import { type AssetKeys, assetKeys } from '../storage/layout.ts';
import { mapLimit } from '../storage/parallel.ts';
import { dedupeChunks, isCut, slotChunks } from '../timeline/chunks.ts';
import { secondsOf } from '../timeline/grid.ts';
import { planTimeline } from '../timeline/plan.ts';
import { chunkBounds, splitByWindow, windowAnchorMs } from '../timeline/window.ts';
import { describeError, type JobContext, PermanentJobError, RecordingError } from './context.ts';
import { type FinalizedAsset, sessionManifest } from './manifest.ts';
import {
  CutFailedError,
  encodeCut,
  existingSegments,
  loadProfile,
  makePlaceholder,
  processChunk,
  type RawChunk,
  undecodableEntry,
  uploadFiles,
  withWorkDir,
} from './media.ts';
import { assetMaster, renditionPlaylist, segmentNameOf } from './playlists.ts';
import { listRaw, type RawListing } from './raw.ts';
import {
  type AssetProfile,
  ChunkEntry,
  chunkSlotMs,
  gridOf,
  profileSignature,
  UndecodableEntry,
} from './records.ts';
import { finalizeSlideshow, reportReady } from './slideshow.ts';

// Index entries are small JSON objects: read this many at a time.
const READ_PARALLELISM = 16;

type Bounds = { startMs: number; endMs: number };
type PlannedAsset = Omit<FinalizedAsset, 'video'> & {
  video?: Omit<NonNullable<FinalizedAsset['video']>, 'storyboard'>;
};

/** Reads the index entries of the listed chunks that were processed with the current profile. */
async function readIndex(ctx: JobContext, keys: AssetKeys, chunks: RawChunk[], profile: AssetProfile | null) {
  const entries = new Map<string, ChunkEntry>();
  const undecodable = new Map<string, UndecodableEntry>();
  const indexed = new Set((await ctx.storage.list(keys.cache, ctx.signal)).map((object) => object.key));
  const signature = profile && profileSignature(profile);
  await mapLimit(chunks, READ_PARALLELISM, async (chunk, _, signal) => {
    if (indexed.has(keys.chunkEntry(chunk.fileName))) {
      const entry = await ctx.storage.getJson(keys.chunkEntry(chunk.fileName), ChunkEntry, signal);
      if (entry && entry.profile === signature) entries.set(chunk.fileName, entry);
    } else if (indexed.has(keys.undecodableEntry(chunk.fileName))) {
      const gap = await ctx.storage.getJson(keys.undecodableEntry(chunk.fileName), UndecodableEntry, signal);
      if (gap) undecodable.set(chunk.fileName, gap);
    }
  });
  return { entries, undecodable };
}

/**
 * Brings an asset's segments up to date and plans its timeline: processes chunks no chunk job finished
 * (all of them on `reprocess`), then re-encodes chunks cut by an overlap and makes the placeholders.
 */
async function prepareAsset(
  ctx: JobContext,
  job: FinalizeJob,
  asset: VideoAsset,
  chunks: { inside: RawChunk[]; outside: RawChunk[] },
  bounds: Bounds,
): Promise<PlannedAsset> {
  const keys = assetKeys({ tenant: job.tenant_uuid, session: job.session_uuid, asset });
  const log = ctx.log.child({ asset });
  const { kept, duplicates } = dedupeChunks(chunks.inside);
  let profile = await loadProfile(ctx, keys);
  const known = job.reprocess
    ? { entries: new Map<string, ChunkEntry>(), undecodable: new Map<string, UndecodableEntry>() }
    : await readIndex(ctx, keys, kept, profile);
  const { entries, undecodable } = known;

  const todo = kept.filter((chunk) => !entries.has(chunk.fileName) && !undecodable.has(chunk.fileName));
  log.info('chunks to process', { chunks: kept.length, todo: todo.length, duplicates: duplicates.length });
  let processed = 0;
  const processOne = async (chunk: RawChunk, signal: AbortSignal) => {
    const outcome = await processChunk({ ...ctx, signal }, keys, chunk);
    if (outcome.decodable) {
      entries.set(chunk.fileName, outcome.entry);
      await ctx.reporter.event({
        version: 1,
        type: 'frames.available',
        tenant_uuid: job.tenant_uuid,
        session_uuid: job.session_uuid,
        occurred_at: new Date(ctx.now()).toISOString(),
        asset,
        seq: chunk.seq,
        frame_keys: outcome.entry.frame_keys,
      });
    } else {
      undecodable.set(chunk.fileName, outcome.entry);
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
    profile = outcome.decodable ? outcome.profile : await loadProfile(ctx, keys);
  }
  // Then one chunk per media slot and one more, whose transfers overlap the encodes, as the consumer runs.
  await mapLimit(
    todo.slice(next),
    ctx.settings.mediaSlots + 1,
    (chunk, _, signal) => processOne(chunk, signal),
    ctx.signal,
  );

  const listed = [...chunks.inside, ...chunks.outside];
  const outOfWindow = new Set(chunks.outside.map((chunk) => chunk.key));
  const base = { asset, keys, listed, outOfWindow, duplicates, entries, undecodable };
  // Each chunk fills the slot it was encoded for (see `chunkSlotMs`); the rest of its name's span is a gap.
  const decodable = kept.flatMap((chunk) => {
    const entry = entries.get(chunk.fileName);
    return entry ? [{ ...chunk, durationMs: chunkSlotMs(chunk.durationMs, entry.source.duration_sec) }] : [];
  });
  if (!profile || decodable.length === 0) return base;

  const grid = gridOf(profile);
  const existing = job.reprocess ? () => false : await existingSegments(ctx, keys, profile);
  const made = new Set<string>();
  // A chunk whose cut cannot be encoded (its object replaced by one that no longer decodes) leaves the
  // timeline as a gap, and the timeline is planned again without it: each round drops one chunk at least.
  let placed = decodable;
  while (true) {
    const { slotted, dropped } = slotChunks(grid, placed);
    const timeline = planTimeline({
      grid,
      chunks: slotted,
      ...bounds,
      gapThresholdMs: ctx.settings.gapThresholdMs,
    });
    const done = (name: string) => made.has(name) || existing(name);
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
        const step = { ...ctx, signal };
        try {
          if (item.kind === 'placeholder') await makePlaceholder(step, keys, profile, item.span);
          else await encodeCut(step, keys, profile, item.chunk, item.span);
          made.add(segmentNameOf(profile, item, 'vod'));
        } catch (error) {
          if (!(item.kind === 'chunk' && error instanceof CutFailedError)) throw error;
          log.warn('chunk is a gap', { chunk: item.chunk.fileName, reason: error.message });
          // The chunk as named, not as slotted, like every other gap record.
          const named = kept.find((chunk) => chunk.fileName === item.chunk.fileName) ?? item.chunk;
          undecodable.set(item.chunk.fileName, undecodableEntry(named, error.message));
          failed.add(item.chunk.fileName);
        }
        log.progress('gaps and cuts', ++finished / missing.length);
      },
      ctx.signal,
    );
    if (failed.size > 0) {
      placed = placed.filter((chunk) => !failed.has(chunk.fileName));
      if (placed.length === 0) return base;
      continue;
    }
    log.info('timeline planned', {
      items: timeline.items.length,
      placeholders: timeline.items.filter((item) => item.kind === 'placeholder').length,
      encoded: made.size,
    });
    return { ...base, video: { profile, timeline, dropped } };
  }
}

/** Writes the VOD variant playlists, then the master. */
async function writePlaylists(ctx: JobContext, asset: PlannedAsset) {
  const { keys, video } = asset;
  if (!video) return;
  for (const rendition of video.profile.renditions) {
    await ctx.storage.putText(
      keys.variantPlaylist(rendition),
      renditionPlaylist(video.profile, video.timeline.items, 'vod', (name) =>
        keys.segmentUri(rendition, name),
      ),
    );
  }
  await ctx.storage.putText(
    keys.master,
    assetMaster(video.profile, (rendition) => keys.variantPlaylist(rendition).slice(keys.hls.length)),
  );
}

/**
 * Makes the storyboard (from the smallest rendition) and the stitched MP4 (from the largest) out of local
 * copies of the segments, played through the same playlist text as the VOD.
 */
async function writeDerived(ctx: JobContext, asset: PlannedAsset): Promise<FinalizedAsset> {
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
    const storyboard = await buildStoryboard(ctx.media, {
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

    const stitched = await stitch(ctx.media, {
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

/** Each asset's chunks split by the session's time window (see `timeline/window.ts`). */
function windowed(job: FinalizeJob, chunks: RawListing['chunks']) {
  const anchorMs = windowAnchorMs(job.session_started_at, Object.values(chunks).flat()) ?? 0;
  return Object.fromEntries(
    Object.entries(chunks).map(([asset, listed]) => [asset, splitByWindow(listed, anchorMs)]),
  ) as Record<Asset, ReturnType<typeof splitByWindow<RawChunk>>>;
}

async function finalizeSession(ctx: JobContext, job: FinalizeJob): Promise<void> {
  const started = ctx.now();
  const raw = await listRaw(ctx, job.tenant_uuid, job.session_uuid);
  const everything = Object.values(raw.chunks).flat();
  if (everything.length === 0) {
    throw new RecordingError(
      'no_recording',
      `nothing was uploaded: no chunk under ${sessionPrefix(job.tenant_uuid, job.session_uuid)}<asset>/raw/`,
    );
  }
  const chunks = windowed(job, raw.chunks);
  // The session timeline: earliest chunk start to latest chunk end over every video asset.
  const bounds = chunkBounds(VIDEO_ASSETS.flatMap((asset) => dedupeChunks(chunks[asset].inside).kept));
  // The previous recorder uploaded screenshots only: such a session is a slideshow of them.
  if (!bounds) return finalizeSlideshow(ctx, job, chunks.screenshots);

  const planned: PlannedAsset[] = [];
  for (const asset of VIDEO_ASSETS) {
    const { inside, outside } = chunks[asset];
    if (inside.length === 0 && outside.length === 0) continue;
    if (outside.length > 0)
      ctx.log.warn('chunks outside the session window', { asset, count: outside.length });
    planned.push(await prepareAsset(ctx, job, asset, { inside, outside }, bounds));
  }
  const playable = planned.find((asset) => asset.video);
  if (!playable) throw new RecordingError('undecodable', 'no video chunk of the session decodes');
  for (const asset of planned) await writePlaylists(ctx, asset);
  ctx.log.info('playlists ready', { elapsedMs: ctx.now() - started });

  const finalized: FinalizedAsset[] = [];
  for (const asset of planned) finalized.push(await writeDerived(ctx, asset));
  const playback = { type: 'hls_masterplaylist', key: playable.keys.master } as const;
  const manifestKey = playable.keys.manifest;
  await ctx.storage.putJson(
    manifestKey,
    sessionManifest({
      tenant: job.tenant_uuid,
      session: job.session_uuid,
      timeline: bounds,
      playback,
      assets: finalized,
      screenshots: chunks.screenshots.inside,
      screenshotsOutOfWindow: chunks.screenshots.outside.map((chunk) => chunk.key),
      ignoredKeys: raw.ignored,
    }),
  );

  // The recording's length as the chunk names give it; every variant lasts this within one frame.
  const durationMs = bounds.endMs - bounds.startMs;
  await reportReady(ctx, job, { playback, durationMs, manifestKey });
  ctx.log.info('session ready', { durationMs, elapsedMs: ctx.now() - started });
}

/**
 * Runs a finalize job. A recording that cannot be finalized fails the session at once (status `failed`
 * with its code to the Worker, `session.failed` on the events queue) and the job ends there. Any other
 * failure is left to the queue's retries and reported only on the last attempt, so a transient error
 * never flips a session to failed and back.
 */
export async function runFinalizeJob(ctx: JobContext, job: FinalizeJob): Promise<void> {
  try {
    await finalizeSession(ctx, job);
  } catch (error) {
    if (ctx.signal.aborted) throw error;
    if (error instanceof RecordingError) {
      await reportFailure(ctx, job, error.code, error.message);
      ctx.log.warn('session failed', { failureCode: error.code, reason: error.message });
      return;
    }
    if (!ctx.lastAttempt) throw error;
    await reportFailure(ctx, job, 'processing_error', describeError(error)).catch((reportError) => {
      ctx.log.error('could not report the failure', { error: describeError(reportError) });
      throw error;
    });
    throw new PermanentJobError(`failed at its last attempt: ${describeError(error)}`, { cause: error });
  }
}

/**
 * Reports the session failed: the status must reach the Worker (else this rejects, and the job is tried
 * again); the event is best effort. A Worker that no longer knows the session answers 404, and then no
 * attempt can ever report it.
 */
export async function reportFailure(ctx: JobContext, job: FinalizeJob, code: FailureCode, reason: string) {
  const ids = { version: 1, tenant_uuid: job.tenant_uuid, session_uuid: job.session_uuid } as const;
  const short = reason.slice(0, 1000);
  try {
    await ctx.reporter.status({ ...ids, status: 'failed', failure_code: code, reason: short }, ctx.signal);
  } catch (error) {
    if (error instanceof StatusReportRejectedError && error.status === 404) {
      throw new PermanentJobError('the session no longer exists: the Worker does not know it', {
        cause: error,
      });
    }
    throw error;
  }
  try {
    await ctx.reporter.event({
      ...ids,
      type: 'session.failed',
      occurred_at: new Date(ctx.now()).toISOString(),
      reason: short,
    });
  } catch (error) {
    ctx.log.error('could not publish session.failed', { error: describeError(error) });
  }
}
