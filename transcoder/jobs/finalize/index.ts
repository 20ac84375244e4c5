/**
 * The `finalize` job: the attempt ended; make every video asset of the session playable on the session
 * timeline, report the session ready, then make what the recording offers besides playback.
 *
 * Order matters to readers: every segment (chunks not processed yet, re-encoded cut chunks, black
 * placeholders) is uploaded before any playlist that lists it (`prepare.ts`); the VOD variant playlists
 * come next and the master last, so a reader who finds the master finds everything it leads to. Then the
 * manifest, with the storyboards and stitched videos `pending` (`manifest.ts`, `progress.ts`), and the
 * session is reported ready (`outcome.ts`). The storyboards and stitched videos follow (`derived.ts`), each
 * marked in the manifest and announced when written; their failures never fail the session.
 */
import { z } from 'zod';
import type { FinalizeJob } from '../../../contracts/jobs.ts';
import { type Asset, type RawChunk, sessionPrefix, VIDEO_ASSETS } from '../../../contracts/storage.ts';
import { describeError } from '../../log.ts';
import { writeVodPlaylists } from '../../playlists/vod.ts';
import { sessionOf } from '../../storage/layout.ts';
import { listRaw, type RawListing } from '../../storage/raw.ts';
import { dedupeChunks } from '../../timeline/chunks.ts';
import { chunkBounds, splitByWindow, windowAnchorMs } from '../../timeline/window.ts';
import { type JobContext, PermanentJobError, RecordingError } from '../context.ts';
import { finishDerived, type ManifestRecord } from './derived.ts';
import { type FinalizedAsset, type SessionPackage, sessionManifest } from './manifest.ts';
import { reportFailure, reportReady } from './outcome.ts';
import { prepareAsset } from './prepare.ts';
import { manifestWith, startProgress, wasAnnounced } from './progress.ts';
import { finalizeSlideshow } from './slideshow.ts';

/** Each asset's chunks split by the session's time window (see `timeline/window.ts`). */
function windowed(job: FinalizeJob, chunks: RawListing['chunks']) {
  const anchorMs = windowAnchorMs(job.session_started_at, Object.values(chunks).flat()) ?? 0;
  return Object.fromEntries(
    Object.entries(chunks).map(([asset, listed]) => [asset, splitByWindow(listed, anchorMs)]),
  ) as Record<Asset, ReturnType<typeof splitByWindow<RawChunk>>>;
}

/**
 * Makes the session playable and reports it ready; returns the video assets and their manifest, for what
 * is made after. Nothing is left after a slideshow, which is its own playback.
 */
async function packageSession(
  ctx: JobContext,
  job: FinalizeJob,
): Promise<{ assets: FinalizedAsset[]; manifest: ManifestRecord } | null> {
  const started = ctx.now();
  const raw = await listRaw(ctx.storage, sessionOf(job), ctx.signal);
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
  if (!bounds) {
    await finalizeSlideshow(ctx, job, chunks.screenshots);
    return null;
  }

  const planned: FinalizedAsset[] = [];
  for (const asset of VIDEO_ASSETS) {
    const { inside, outside } = chunks[asset];
    if (inside.length === 0 && outside.length === 0) continue;
    if (outside.length > 0)
      ctx.log.warn('chunks outside the session window', { asset, count: outside.length });
    planned.push(await prepareAsset(ctx, job, asset, { inside, outside }, bounds));
  }
  const playable = planned.find((asset) => asset.video);
  if (!playable) throw new RecordingError('undecodable', 'no video chunk of the session decodes');
  for (const { keys, video } of planned) {
    if (video) await writeVodPlaylists(ctx, keys, video.profile, video.timeline.items);
  }
  ctx.log.info('playlists ready', { elapsedMs: ctx.now() - started });

  const playback = { type: 'hls_masterplaylist', key: playable.keys.master } as const;
  const pkg = sessionManifest({
    session: sessionOf(job),
    timeline: bounds,
    playback,
    assets: planned,
    screenshots: chunks.screenshots.inside,
    screenshotsOutOfWindow: chunks.screenshots.outside.map((chunk) => chunk.key),
    ignoredKeys: raw.ignored,
  });
  const videos = planned.flatMap((asset) => (asset.video ? [asset.asset] : []));
  const manifest = await resumeManifest(ctx, job, playable.keys.manifest, pkg, videos);
  await manifest.write();

  if (wasAnnounced(manifest.progress, { type: 'session.processed' })) {
    ctx.log.info('session reported ready before, with this package');
  } else {
    // The recording's length as the chunk names give it; every variant lasts this within one frame.
    const durationMs = bounds.endMs - bounds.startMs;
    await reportReady(ctx, job, { playback, durationMs, manifestKey: manifest.key });
    manifest.progress.announced.push({ type: 'session.processed' });
    await manifest.write();
    ctx.log.info('session ready', { durationMs, elapsedMs: ctx.now() - started });
  }
  return { assets: planned, manifest };
}

/** The manifest of this package, with the progress an earlier run of it made (`progress.ts`). */
async function resumeManifest(
  ctx: JobContext,
  job: FinalizeJob,
  key: string,
  pkg: SessionPackage,
  videos: FinalizedAsset['asset'][],
): Promise<ManifestRecord> {
  const previous = await ctx.storage.getJson(key, z.unknown(), ctx.signal);
  const progress = startProgress(pkg, videos, previous, job.reprocess);
  return {
    key,
    progress,
    write: async () => {
      await ctx.storage.putJson(key, manifestWith(pkg, progress));
    },
  };
}

/**
 * Runs a finalize job. A recording that cannot be finalized fails the session at once (status `failed`
 * with its code to the Worker, `session.failed` on the events queue) and the job ends there. Any other
 * failure before the session is ready is left to the queue's retries and reported only on the last
 * attempt, so a transient error never flips a session to failed and back; one after is never reported
 * as the session's (`finishDerived`).
 */
export async function runFinalizeJob(ctx: JobContext, job: FinalizeJob): Promise<void> {
  let ready: Awaited<ReturnType<typeof packageSession>>;
  try {
    ready = await packageSession(ctx, job);
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
  if (ready) await finishDerived(ctx, job, ready.assets, ready.manifest);
}
